# The balance area's non-response table on the demo client: is answering an invitation independent of each
# attribute, with accounts as clusters? First-order Rao-Scott corrected chi-square (R survey's svychisq,
# statistic = "Chisq"), one correction per table, then Benjamini-Hochberg across the attributes.
# Attributes as the balance area defines them, derived here from the raw exports:
#   role (the invitation's), ARR (quartile band of the account's ARR over all accounts; intervals closed on the
#   left, the top one closed), churn (churned / retained as known at the demo's as-of date 2025-12-31: churned
#   when churned by then, retained when its renewal date has passed, otherwise unknown: a domain of the design,
#   not a separate level), Industry (the account's).
# Reads demo_invitations.csv (tests/reference/inputs.py) and examples/demo/accounts.csv, writes
# balance_nonresponse_r.csv.
suppressPackageStartupMessages(library(survey))
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
d <- read.csv(file.path(here, "demo_invitations.csv"), stringsAsFactors = FALSE)
acc <- read.csv(file.path(here, "..", "..", "examples", "demo", "accounts.csv"), stringsAsFactors = FALSE,
                check.names = FALSE)
as_of <- as.Date("2025-12-31")
renewal <- as.Date(acc[["Renewal Date"]])
known <- !is.na(renewal) & renewal <= as_of
churn <- ifelse(known & acc$Status == "Churned", "churned", ifelse(known, "retained", NA))
edges <- quantile(acc$ARR, probs = seq(0, 1, 0.25), type = 7)
band <- findInterval(acc$ARR, edges, rightmost.closed = TRUE, all.inside = TRUE)
at <- match(d$account, acc[["Account ID"]])
d$ARR <- band[at]
d$churn <- churn[at]
d$Industry <- d$industry
des <- svydesign(ids = ~account, data = d, weights = rep(1, nrow(d)))
rows <- NULL
for (a in c("role", "ARR", "churn", "Industry")) {
  t <- svychisq(as.formula(paste("~", a, "+ responded")), des, statistic = "Chisq")
  ok <- !is.na(d[[a]])
  pearson <- suppressWarnings(chisq.test(table(d[[a]][ok], d$responded[ok]), correct = FALSE))
  rows <- rbind(rows, data.frame(attribute = a, chi2 = unname(pearson$statistic), dof = unname(t$parameter),
                                 p_value = t$p.value, n = sum(ok)))
}
rows$p_adj <- p.adjust(rows$p_value, method = "BH")
write.csv(rows, file.path(here, "balance_nonresponse_r.csv"), row.names = FALSE)
