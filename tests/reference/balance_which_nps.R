# Which NPS to believe, on the demo client's responses, accounts as clusters (R survey package).
# Reads balance_demo_responses.csv (tests/reference/balance_inputs.py), writes balance_which_nps_r.csv:
#   every response: svymean of x, its linearised SE and design effect (with-replacement SRS reference);
#   one vote per account: svymean with weights 1 / responses of the account;
#   decision makers: svymean on subset(design, decision == 1), a domain of the whole design.
suppressPackageStartupMessages(library(survey))
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
d <- read.csv(file.path(here, "balance_demo_responses.csv"), stringsAsFactors = FALSE)
d$w <- 1 / ave(rep(1, nrow(d)), d$account, FUN = sum)
des <- svydesign(ids = ~account, data = d, weights = rep(1, nrow(d)))
des_w <- svydesign(ids = ~account, data = d, weights = ~w)
row <- function(measure, est, n, accounts) {
  data.frame(measure = measure, estimate = coef(est)[[1]], se = SE(est)[[1]],
             deff = if (is.null(attr(est, "deff"))) NA else deff(est)[[1]], n = n, accounts = accounts)
}
dm <- d$decision == 1
rows <- rbind(
  row("All responses", svymean(~x, des, deff = "replace"), nrow(d), length(unique(d$account))),
  row("One vote per account", svymean(~x, des_w), nrow(d), length(unique(d$account))),
  row("Decision makers", svymean(~x, subset(des, decision == 1), deff = "replace"), sum(dm),
      length(unique(d$account[dm]))))
write.csv(rows, file.path(here, "balance_which_nps_r.csv"), row.names = FALSE)
