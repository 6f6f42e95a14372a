# Reference for tests/test_analysis_targets.py (R survey package, Lumley).
# Usage: Rscript targets_reference.R share.csv coef.csv change.csv out.csv
# share.csv: sector, enterprise_id, ind (0/1, NA = unanswered), w_ind (respondent weight
#   used for the share: the enterprise's share within its sector over its answered rows),
#   w_resp (respondent weight inside the enterprise).
# coef.csv: sector, coef (the district's composite weight of each sector's share).
# change.csv: wave (1/2), sector, enterprise_id (distinct between waves), score, w.
# out.csv: level, unit, estimate, se.
suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "certainty")
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
coefs <- read.csv(args[2], stringsAsFactors = FALSE)
ch <- read.csv(args[3], stringsAsFactors = FALSE)
out <- list()
add <- function(level, unit, est, se) {
  out[[length(out) + 1]] <<- data.frame(level = level, unit = as.character(unit),
                                         estimate = as.numeric(est), se = as.numeric(se))
}
# sectors and the district: enterprises as PSUs within sector strata; each sector's share
# as a ratio of totals (numerator and count of answered rows), the district as their
# fixed-weight combination (svycontrast, delta method)
secs <- sort(unique(d$sector))
for (j in seq_along(secs)) {
  inside <- d$sector == secs[j] & !is.na(d$ind)
  d[[paste0("n", j)]] <- ifelse(inside, d$ind, 0)
  d[[paste0("m", j)]] <- as.numeric(inside)
}
agg <- svydesign(ids = ~enterprise_id, strata = ~sector, weights = ~w_ind, data = d,
                 nest = TRUE)
vars <- unlist(lapply(seq_along(secs), function(j) paste0(c("n", "m"), j)))
tot <- svytotal(as.formula(paste("~", paste(vars, collapse = "+"))), agg)
for (j in seq_along(secs)) {
  ct <- svycontrast(tot, parse(text = sprintf("n%d / m%d", j, j))[[1]])
  add("sector", secs[j], coef(ct), SE(ct))
}
k <- coefs$coef[match(secs, coefs$sector)]
dist_expr <- paste(sprintf("%.17g * n%d / m%d", k, seq_along(secs), seq_along(secs)),
                   collapse = " + ")
dist <- svycontrast(tot, parse(text = dist_expr)[[1]])
add("district", "district", coef(dist), SE(dist))
# enterprises: respondents as PSUs within enterprise strata
ent <- svydesign(ids = ~1, strata = ~enterprise_id, weights = ~w_resp, data = d)
be <- svyby(~ind, ~enterprise_id, ent, svymean, na.rm = TRUE)
add("enterprise", be$enterprise_id, coef(be), SE(be))
# change between two independent waves: one stacked design, strata = wave x sector
ch$stratum <- paste(ch$wave, ch$sector)
for (s in sort(unique(ch$sector))) {
  for (k in 1:2) {
    inside <- ch$sector == s & ch$wave == k & !is.na(ch$score)
    ch[[paste0("n", k)]] <- ifelse(inside, ch$score, 0)
    ch[[paste0("m", k)]] <- as.numeric(inside)
  }
  des <- svydesign(ids = ~enterprise_id, strata = ~stratum, weights = ~w, data = ch,
                   nest = TRUE)
  ct <- svycontrast(svytotal(~n1 + m1 + n2 + m2, des), quote(n2 / m2 - n1 / m1))
  add("change", s, coef(ct), SE(ct))
}
write.csv(do.call(rbind, out), args[4], row.names = FALSE)
