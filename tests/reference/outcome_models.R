# Outcome models on the demo client's accounts (R: glm + sandwich, survival, pROC).
# Reads demo_linked.csv and demo_accounts.csv (tests/reference/inputs.py), writes:
#   logit_clustered_r.csv  churn ~ score per response, CRV1 cluster-robust covariance by account
#                          (sandwich::vcovCL, type "HC1" with the G/(G-1) adjustment: statsmodels' CRV1)
#   logit_accounts_r.csv   churn ~ score + log ARR + plan per account, model-based covariance
#   cox_r.csv              Cox model of the time to churn on the account's score (Breslow ties)
#   auc_r.csv              AUC of the account score for churn (low score = risk) with DeLong's interval
suppressPackageStartupMessages({library(sandwich); library(survival); library(pROC)})
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
linked <- read.csv(file.path(here, "demo_linked.csv"))
acc <- read.csv(file.path(here, "demo_accounts.csv"))

fit <- glm(churned ~ score, family = binomial, data = linked)
v <- vcovCL(fit, cluster = ~account, type = "HC1", cadjust = TRUE)
write.csv(data.frame(term = names(coef(fit)), estimate = coef(fit), se = sqrt(diag(v))),
          file.path(here, "logit_clustered_r.csv"), row.names = FALSE)

acc$plan <- factor(acc$plan, levels = c("Enterprise", "Professional", "Starter"))
fit2 <- glm(churned ~ score + log_arr + plan, family = binomial, data = acc)
write.csv(data.frame(term = names(coef(fit2)), estimate = coef(fit2), se = sqrt(diag(vcov(fit2)))),
          file.path(here, "logit_accounts_r.csv"), row.names = FALSE)

cx <- coxph(Surv(time_days, event) ~ score, data = acc, ties = "breslow")
write.csv(data.frame(term = "score", estimate = coef(cx)[[1]], se = sqrt(vcov(cx)[1, 1]),
                     n = cx$n, events = cx$nevent),
          file.path(here, "cox_r.csv"), row.names = FALSE)

r <- roc(response = acc$churned, predictor = acc$score, levels = c(0, 1), direction = ">", quiet = TRUE)
ci <- ci.auc(r, method = "delong", conf.level = 0.95)
write.csv(data.frame(auc = as.numeric(ci[2]), ci_low = as.numeric(ci[1]), ci_high = as.numeric(ci[3]),
                     se = sqrt(var(r, method = "delong")), n_churned = sum(acc$churned == 1),
                     n_retained = sum(acc$churned == 0)),
          file.path(here, "auc_r.csv"), row.names = FALSE)
