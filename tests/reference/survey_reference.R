# Reference estimates from R's survey package (Lumley) for tests/test_analysis_design.py.
# Usage: Rscript survey_reference.R data.csv out.csv
# The data has columns y, w, stratum, psu, Nh, dom, a, b, sa, sb (see the test).
suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "certainty")
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
d$dom <- factor(d$dom); d$a <- factor(d$a); d$b <- factor(d$b)
d$sa <- factor(d$sa); d$sb <- factor(d$sb)
# domain numerators and denominators for the composites below (delta method on totals)
for (k in 1:3) {
  inside <- d$dom == paste0("d", k) & !is.na(d$y)
  d[[paste0("n", k)]] <- ifelse(inside, d$y, 0)
  d[[paste0("m", k)]] <- as.numeric(inside)
}
out <- list()
add <- function(case, group, est, se) {
  out[[length(out) + 1]] <<- data.frame(case = case, group = as.character(group),
                                         estimate = as.numeric(est), se = as.numeric(se))
}
whole <- function(case, des) {
  m <- svymean(~y, des, na.rm = TRUE)
  add(case, "all", coef(m), SE(m))
  b <- svyby(~y, ~dom, des, svymean, na.rm = TRUE)
  add(case, b$dom, coef(b), SE(b))
}
srs <- svydesign(ids = ~1, weights = ~w, data = d)
whole("srs", srs)
strat <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = d, nest = TRUE)
whole("strat_clus", strat)
add("strat_clus_degf", "all", degf(strat), 0)
fpc <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, fpc = ~Nh, data = d, nest = TRUE)
whole("fpc", fpc)
pop_a <- data.frame(a = levels(d$a), Freq = c(300, 500, 200) * 10)
ps <- postStratify(strat, ~a, pop_a)
whole("poststrat", ps)
write.csv(data.frame(w = weights(ps)), sub(".csv", "_ps_w.csv", args[2]), row.names = FALSE)
pop_b <- data.frame(b = levels(d$b), Freq = c(450, 550) * 10)
rk <- rake(strat, list(~a, ~b), list(pop_a, pop_b), control = list(epsilon = 1e-13, maxit = 500))
whole("rake", rk)
write.csv(data.frame(w = weights(rk)), sub(".csv", "_rake_w.csv", args[2]), row.names = FALSE)
cal <- calibrate(strat, ~a + b, c(`(Intercept)` = 10000, aa2 = 5000, aa3 = 2000, bb2 = 5500),
                 calfun = "raking", epsilon = 1e-13, maxit = 500)
whole("calibrate_raking", cal)
# raking within groups: margins sa, sb are the group-by-margin cells
grp <- function(lev) sub("_.*", "", lev)
ta <- tapply(d$w, d$sa, sum)
pa <- data.frame(sa = names(ta), Freq = as.numeric(ta) * rep(c(1.2, 0.9, 1.05), length.out = length(ta)))
tg <- tapply(pa$Freq, grp(pa$sa), sum)
tb <- tapply(d$w, d$sb, sum)
sh <- as.numeric(tb) * rep(c(1.1, 0.9), length.out = length(tb))
sh <- sh / as.numeric(tapply(sh, grp(names(tb)), sum)[grp(names(tb))])
pb <- data.frame(sb = names(tb), Freq = sh * as.numeric(tg[grp(names(tb))]))
write.csv(rbind(data.frame(col = "sa", lev = pa$sa, Freq = pa$Freq),
                data.frame(col = "sb", lev = pb$sb, Freq = pb$Freq)),
          sub(".csv", "_rg_margins.csv", args[2]), row.names = FALSE)
rg <- rake(strat, list(~sa, ~sb), list(pa, pb), control = list(epsilon = 1e-13, maxit = 500))
write.csv(data.frame(w = weights(rg)), sub(".csv", "_rg_w.csv", args[2]), row.names = FALSE)
# rake()'s own SE backfits ten rounds only; calibrate() projects exactly
pop <- c(`(Intercept)` = sum(pa$Freq), setNames(pa$Freq[-1], paste0("sa", pa$sa[-1])),
         setNames(pb$Freq[-1], paste0("sb", pb$sb[-1])))
cg <- calibrate(strat, ~sa + sb, pop, calfun = "raking", epsilon = 1e-13, maxit = 500)
whole("rake_groups", cg)
cal_srs <- calibrate(srs, ~a + b, c(`(Intercept)` = 10000, aa2 = 5000, aa3 = 2000, bb2 = 5500),
                     calfun = "raking", epsilon = 1e-13, maxit = 500)
whole("cal_srs", cal_srs)
write.csv(data.frame(w = weights(cal_srs)), sub(".csv", "_srs_w.csv", args[2]), row.names = FALSE)
# fixed-weight composites of domain means, with their covariances
for (case in c("strat_clus", "calibrate_raking", "rake_groups", "cal_srs")) {
  des <- switch(case, strat_clus = strat, calibrate_raking = cal, rake_groups = cg,
                cal_srs = cal_srs)
  tot <- svytotal(~n1 + n2 + n3 + m1 + m2 + m3, des)
  ct <- svycontrast(tot, quote(0.2 * n1 / m1 + 0.3 * n2 / m2 + 0.5 * n3 / m3))
  add(paste0(case, "_composite"), "c", coef(ct), SE(ct))
}
write.csv(do.call(rbind, out), args[2], row.names = FALSE)
