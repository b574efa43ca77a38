# Design-based NPS of the demo client's responses, accounts as clusters (R survey package).
# Reads demo_responses.csv (tests/reference/inputs.py), writes nps_clustered_r.csv:
#   the overall NPS with its linearised SE and design effect (with-replacement SRS as the reference),
#   NPS per quarter (svyby: domains of the whole design), and the change from the first to the last quarter
#   (svycontrast of the svyby estimates with their covariance).
suppressPackageStartupMessages(library(survey))
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
d <- read.csv(file.path(here, "demo_responses.csv"), stringsAsFactors = FALSE)
des <- svydesign(ids = ~account, data = d, weights = rep(1, nrow(d)))
overall <- svymean(~x, des, deff = "replace")
rows <- data.frame(what = "overall", group = "", estimate = coef(overall)[[1]], se = SE(overall)[[1]],
                   deff = deff(overall)[[1]], n = nrow(d), clusters = length(unique(d$account)))
by <- svyby(~x, ~quarter, des, svymean, deff = "replace", covmat = TRUE)
by_deff <- svyby(~x, ~quarter, des, svymean, deff = "replace")
rows <- rbind(rows, data.frame(what = "quarter", group = by$quarter, estimate = coef(by), se = SE(by),
                               deff = by_deff$DEff.x, n = as.vector(table(d$quarter)[by$quarter]),
                               clusters = as.vector(tapply(d$account, d$quarter, function(a) length(unique(a)))[by$quarter])))
k <- length(coef(by))
ch <- svycontrast(by, c(-1, rep(0, k - 2), 1))
rows <- rbind(rows, data.frame(what = "change", group = paste(by$quarter[1], by$quarter[k], sep = "->"),
                               estimate = coef(ch)[[1]], se = SE(ch)[[1]], deff = NA, n = NA, clusters = NA))
write.csv(rows, file.path(here, "nps_clustered_r.csv"), row.names = FALSE)
