# Reference for tests/test_analysis_wave.py: sector means of raked respondent scores
# (raking within sectors = calibration on sector-by-margin cells), enterprises as PSUs
# within sector strata, SEs from calibrate(calfun = "raking") residuals.
# Usage: Rscript wave_raking_reference.R scores.csv population.csv out.csv
suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "certainty")
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = TRUE)
pop <- read.csv(args[2], stringsAsFactors = FALSE)
des <- svydesign(ids = ~enterprise_id, strata = ~sector, data = d, nest = TRUE,
                 weights = ~base)
cal <- calibrate(des, ~sa + sb + sr, setNames(pop$total, pop$name), calfun = "raking",
                 epsilon = 1e-13, maxit = 500)
b <- svyby(~score, ~sector, cal, svymean, na.rm = TRUE)
write.csv(data.frame(sector = b$sector, estimate = coef(b), se = SE(b), w_max = max(weights(cal))),
          args[3], row.names = FALSE)
