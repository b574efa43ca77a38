# Design-based NPS of the demo's commenters who mention a theme against the other commenters, accounts as
# clusters (R survey package). Reads demo_themes.csv (tests/reference/theme_inputs.py), writes theme_nps_r.csv:
# per theme, the domain mean with its linearised SE and design effect (svyby), the difference from the rest
# (svycontrast of the svyby estimates with their covariance), and the impact, NPS of all minus NPS of the rest
# (svycontrast of svymean(~x + xr + r), a ratio: x - xr / r, linearised).
suppressPackageStartupMessages(library(survey))
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
d <- read.csv(file.path(here, "demo_themes.csv"), stringsAsFactors = FALSE)
rows <- NULL
for (theme in c("price", "support", "billing")) {
  d$t <- d[[theme]]
  d$r <- 1 - d$t
  d$xr <- d$x * d$r
  des <- svydesign(ids = ~account, data = d, weights = rep(1, nrow(d)))
  by <- svyby(~x, ~t, des, svymean, deff = "replace", covmat = TRUE)
  ch <- svycontrast(by, c(-1, 1))  # theme (t = 1) minus rest (t = 0)
  m <- svymean(~x + xr + r, des)
  imp <- svycontrast(m, quote(x - xr / r))
  rows <- rbind(rows, data.frame(theme = theme, n = sum(d$t), nps = coef(by)[["1"]], se = SE(by)[by$t == 1],
                                 deff = by$DEff.x[by$t == 1], diff = coef(ch)[[1]], se_diff = SE(ch)[[1]],
                                 impact = coef(imp)[[1]], se_impact = SE(imp)[[1]]))
}
write.csv(rows, file.path(here, "theme_nps_r.csv"), row.names = FALSE)
