# Reference for tests/test_analysis_wave.py: sector means of two waves of respondent
# scores and their change, with enterprises as PSUs within sector strata shared by
# both waves (R survey: svytotal + svycontrast, delta method).
# Usage: Rscript change_reference.R scores.csv out.csv
# scores.csv columns: wave (1/2), sector, enterprise_id, score (NA allowed).
suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "certainty")
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
out <- list()
for (s in sort(unique(d$sector))) {
  for (k in 1:2) {
    inside <- d$sector == s & d$wave == k & !is.na(d$score)
    d[[paste0("n", k)]] <- ifelse(inside, d$score, 0)
    d[[paste0("m", k)]] <- as.numeric(inside)
  }
  des <- svydesign(ids = ~enterprise_id, strata = ~sector, data = d, nest = TRUE)
  tot <- svytotal(~n1 + m1 + n2 + m2, des)
  for (what in c("wave1", "wave2", "change")) {
    expr <- switch(what, wave1 = quote(n1 / m1), wave2 = quote(n2 / m2),
                   change = quote(n2 / m2 - n1 / m1))
    ct <- svycontrast(tot, expr)
    out[[length(out) + 1]] <- data.frame(sector = s, what = what, estimate = coef(ct),
                                         se = SE(ct))
  }
}
write.csv(do.call(rbind, out), args[2], row.names = FALSE)
