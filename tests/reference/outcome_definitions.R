# The outcome area's definitions, applied independently in R to the demo client (survival, pROC).
# Reads outcome_responses.csv and outcome_accounts.csv (python -m tests.reference.outcome_inputs), writes:
#   outcome_definitions_r.csv  per definition of an account's score: accounts, churned, AUC with DeLong's interval
#                              (low score = risk), and accounts and churn rate per NPS category (0-6, 7-8, 9-10)
#   outcome_cox_r.csv          Cox model of the time to churn on the account's score, one calendar clock ("demo"):
#                              coxph(Surv(entry, exit, event) ~ score, ties = "breslow"), entry = when the score was
#                              given (or the account's start, if later), exit = churn date, or the as-of date; and a
#                              four-subject case where one enters on an event day ("entry_tie")
# Definitions: a response predicts its account's outcome when given more than 30 days before it (all responses of
# an account whose outcome has no date); an account's score is its latest such response (the mean of those at the
# latest time), its decision makers' latest ("Decision Maker", "Executive") where one answered.
suppressPackageStartupMessages({library(survival); library(pROC)})
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
r <- read.csv(file.path(here, "outcome_responses.csv"), stringsAsFactors = FALSE)
a <- read.csv(file.path(here, "outcome_accounts.csv"), stringsAsFactors = FALSE)
a <- a[!is.na(a$churned), ]
r$t <- as.numeric(as.POSIXct(r$responded_at, tz = "UTC"))
a$outcome <- as.numeric(as.POSIXct(a$outcome_at, tz = "UTC"))
a$start <- as.numeric(as.POSIXct(a$start_at, tz = "UTC"))
as_of <- as.numeric(as.POSIXct(a$as_of[1], tz = "UTC"))
dm_roles <- c("Decision Maker", "Executive")
m <- merge(r, a, by = "account")

latest <- function(d) {
  # per account: the mean score of the responses at its latest time, and that time
  if (nrow(d) == 0) return(data.frame(account = character(0), score = numeric(0), at = numeric(0)))
  mx <- ave(d$t, d$account, FUN = max)
  l <- d[d$t == mx, ]
  s <- aggregate(score ~ account, data = l, FUN = mean)
  s$at <- aggregate(t ~ account, data = l, FUN = max)$t
  s
}

scores <- function(days) {
  d <- m[is.na(m$outcome) | m$t < m$outcome - days * 86400, ]
  acc <- aggregate(cbind(score_mean = score) ~ account, data = d, FUN = mean)
  acc$score_min <- aggregate(score ~ account, data = d, FUN = min)$score
  l <- latest(d)
  acc$score_latest <- l$score[match(acc$account, l$account)]
  acc$latest_at <- l$at[match(acc$account, l$account)]
  dm <- latest(d[d$role %in% dm_roles, ])
  ot <- latest(d[!(d$role %in% dm_roles) & d$role != "", ])
  acc$score_dm <- dm$score[match(acc$account, dm$account)]
  acc$dm_at <- dm$at[match(acc$account, dm$account)]
  acc$score_other <- ot$score[match(acc$account, ot$account)]
  acc$score_used <- ifelse(is.na(acc$score_dm), acc$score_latest, acc$score_dm)
  acc$used_at <- ifelse(is.na(acc$score_dm), acc$latest_at, acc$dm_at)
  k <- match(acc$account, a$account)
  acc$churned <- a$churned[k]
  acc$outcome <- a$outcome[k]
  acc$start <- a$start[k]
  acc
}

row <- function(name, acc, col) {
  d <- acc[!is.na(acc[[col]]), ]
  x <- d[[col]]
  roc_ <- roc(response = d$churned, predictor = x, levels = c(0, 1), direction = ">", quiet = TRUE)
  ci <- ci.auc(roc_, method = "delong", conf.level = 0.95)
  cat_ <- ifelse(x <= 6, "detractor", ifelse(x >= 9, "promoter", "passive"))
  out <- data.frame(definition = name, accounts = nrow(d), churned = sum(d$churned), auc = as.numeric(ci[2]),
                    auc_ci_low = as.numeric(ci[1]), auc_ci_high = as.numeric(ci[3]))
  for (c_ in c("detractor", "passive", "promoter")) {
    out[[paste0(c_, "s")]] <- sum(cat_ == c_)
    out[[paste0(c_, "_churn_rate")]] <- mean(d$churned[cat_ == c_])
  }
  out
}

emb <- scores(30)
raw <- scores(0)
defs <- rbind(row("used", emb, "score_used"), row("latest", emb, "score_latest"), row("mean", emb, "score_mean"),
              row("min", emb, "score_min"), row("decision", emb, "score_dm"), row("other", emb, "score_other"),
              row("used_no_embargo", raw, "score_used"), row("mean_no_embargo", raw, "score_mean"))
write.csv(defs, file.path(here, "outcome_definitions_r.csv"), row.names = FALSE)

entry <- pmax(emb$used_at, ifelse(is.na(emb$start), -Inf, emb$start))
exit <- ifelse(emb$churned == 1, emb$outcome, as_of)
ok <- exit > entry
origin <- min(entry[ok])
cx <- coxph(Surv((entry[ok] - origin) / 86400, (exit[ok] - origin) / 86400, emb$churned[ok]) ~ emb$score_used[ok],
            ties = "breslow")
# a subject entering on an event day is not at risk that day: (start, stop]
tie <- data.frame(entry = c(0, 0, 2, 0), exit = c(2, 3, 3, 4), event = c(1, 1, 0, 0), x = c(1, 0, 5, 2))
ct <- coxph(Surv(entry, exit, event) ~ x, data = tie, ties = "breslow")
write.csv(data.frame(case = c("demo", "entry_tie"), estimate = c(coef(cx)[[1]], coef(ct)[[1]]),
                     se = c(sqrt(vcov(cx)[1, 1]), sqrt(vcov(ct)[1, 1])), n = c(cx$n, ct$n),
                     events = c(cx$nevent, ct$nevent)),
          file.path(here, "outcome_cox_r.csv"), row.names = FALSE)
