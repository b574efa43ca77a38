# Non-response on the demo client's invitations: is answering independent of each attribute, with accounts as
# clusters? First-order Rao-Scott corrected chi-square (R survey's svychisq, statistic = "Chisq"), one
# correction per table. Reads demo_invitations.csv, writes rao_scott_r.csv.
suppressPackageStartupMessages(library(survey))
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
d <- read.csv(file.path(here, "demo_invitations.csv"), stringsAsFactors = FALSE)
des <- svydesign(ids = ~account, data = d, weights = rep(1, nrow(d)))
rows <- NULL
for (a in c("role", "industry", "status")) {
  t <- svychisq(as.formula(paste("~", a, "+ responded")), des, statistic = "Chisq")
  pearson <- suppressWarnings(chisq.test(table(d[[a]], d$responded), correct = FALSE))
  # svychisq(statistic = "Chisq") reports Pearson's X2 and the p-value of X2 / mean(generalised deff)
  rows <- rbind(rows, data.frame(attribute = a, chi2 = unname(pearson$statistic), dof = unname(t$parameter),
                                 p_value = t$p.value))
}
write.csv(rows, file.path(here, "rao_scott_r.csv"), row.names = FALSE)
