# Rao-Wu rescaled bootstrap (m_h = n_h - 1) SEs from R's survey package, for
# tests/test_analysis_bootstrap_rao_wu.py.
# Usage: Rscript subbootstrap_reference.R data.csv out.csv replicates seed
# The data has columns y, w, sector, enterprise (enterprises are PSUs in sector strata).
suppressPackageStartupMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
set.seed(as.integer(args[4]))
des <- svydesign(ids = ~enterprise, strata = ~sector, weights = ~w, data = d, nest = TRUE)
rep <- as.svrepdesign(des, type = "subbootstrap", replicates = as.integer(args[3]))
lin <- svyby(~y, ~sector, des, svymean)
boot <- svyby(~y, ~sector, rep, svymean)
write.csv(data.frame(sector = boot$sector, estimate = coef(boot), se_boot = SE(boot),
                     se = SE(lin)), args[2], row.names = FALSE)
