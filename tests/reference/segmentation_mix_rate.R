# Mix/rate decomposition of the demo client's NPS change from 2024 to 2025 (Kitagawa 1955), with design-based
# standard errors, accounts as clusters across both periods (an account answering in both years is one unit).
# The decomposition is written as expressions of survey totals and handed to svycontrast (delta method):
#   w_ts = N_ts / N_t (segment s's share of period t's responses), y_ts = 100 * X_ts / N_ts (its NPS),
#   mix = sum_s (w_2s - w_1s) (y_1s + y_2s) / 2, rate = sum_s (y_2s - y_1s) (w_1s + w_2s) / 2,
#   change = sum_s w_2s y_2s - w_1s y_1s.
# Reads segmentation_demo.csv (tests/reference/segmentation_inputs.py), writes segmentation_mix_rate_r.csv.
suppressPackageStartupMessages(library(survey))
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
d <- read.csv(file.path(here, "segmentation_demo.csv"), stringsAsFactors = FALSE, na.strings = character(0))
d <- d[d$period %in% c("2024", "2025"), ]
periods <- c("2024", "2025")
rows <- NULL
for (dim in c("Region", "Plan", "Industry")) {
  segs <- sort(unique(d[[dim]]))
  v <- data.frame(account = d$account)
  for (t in 1:2) {
    v[[paste0("P", t)]] <- as.numeric(d$period == periods[t])
    for (s in seq_along(segs)) {
      ind <- as.numeric(d$period == periods[t] & d[[dim]] == segs[s])
      v[[paste0("N", t, "_", s)]] <- ind
      v[[paste0("X", t, "_", s)]] <- ind * d$x
    }
  }
  des <- svydesign(ids = ~account, data = v, weights = rep(1, nrow(v)))
  vars <- setdiff(names(v), "account")
  tot <- svytotal(as.formula(paste("~", paste(vars, collapse = " + "))), des)
  w <- function(t, s) sprintf("(N%d_%d / P%d)", t, s, t)
  y <- function(t, s) sprintf("(100 * X%d_%d / N%d_%d)", t, s, t, s)
  k <- seq_along(segs)
  mix <- paste(sprintf("(%s - %s) * (%s + %s) / 2", w(2, k), w(1, k), y(1, k), y(2, k)), collapse = " + ")
  rate <- paste(sprintf("(%s - %s) * (%s + %s) / 2", y(2, k), y(1, k), w(1, k), w(2, k)), collapse = " + ")
  change <- paste(sprintf("%s * %s - %s * %s", w(2, k), y(2, k), w(1, k), y(1, k)), collapse = " + ")
  con <- svycontrast(tot, list(mix = parse(text = mix)[[1]], rate = parse(text = rate)[[1]],
                               change = parse(text = change)[[1]]))
  rows <- rbind(rows, data.frame(dimension = dim, what = c("mix", "rate", "change"),
                                 estimate = unname(coef(con)), se = unname(SE(con))))
}
write.csv(rows, file.path(here, "segmentation_mix_rate_r.csv"), row.names = FALSE)
