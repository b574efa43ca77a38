# Is the score category independent of each segment column of the demo client, with accounts as clusters?
# First-order Rao-Scott corrected chi-square (R survey's svychisq, statistic = "Chisq") on the responses of the
# values with at least min_n (30) responses (the values the segmentation area tests), as a design of their own.
# Reads segmentation_demo.csv (tests/reference/segmentation_inputs.py), writes segmentation_chisq_r.csv: Pearson's
# X2, the mean generalised design effect (X2 over the statistic svychisq refers to chi-square), dof, p-value.
suppressPackageStartupMessages(library(survey))
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
d <- read.csv(file.path(here, "segmentation_demo.csv"), stringsAsFactors = FALSE, na.strings = character(0))
d$category <- factor(d$x)
rows <- NULL
for (dim in c("Region", "Plan", "Industry")) {
  sub <- d[d[[paste0("tested_", dim)]] == 1, ]
  sub$segment <- factor(sub[[dim]])
  des <- svydesign(ids = ~account, data = sub, weights = rep(1, nrow(sub)))
  t <- svychisq(~segment + category, des, statistic = "Chisq")
  pearson <- suppressWarnings(chisq.test(table(sub$segment, sub$category), correct = FALSE))
  deff <- unname(pearson$statistic) / qchisq(t$p.value, t$parameter, lower.tail = FALSE)
  rows <- rbind(rows, data.frame(dimension = dim, chi2 = unname(pearson$statistic), dof = unname(t$parameter),
                                 p_value = t$p.value, design_effect = deff, n = nrow(sub),
                                 values = nlevels(sub$segment)))
}
write.csv(rows, file.path(here, "segmentation_chisq_r.csv"), row.names = FALSE)
