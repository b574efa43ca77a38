# DerSimonian-Laird random-effects meta-regression with one moderator (R metafor), the reference of
# npsdiag.stats.funnel.meta_regression without a prior on the slope. The inputs are written here (twelve units:
# logit shares of 10s among 9-10 scores, their sampling variances, and how positive each unit's customers are);
# writes meta_regression_r.csv: the inputs, then tau2, the coefficients (intercept at x = 0) with their
# covariance, and predictions with their standard errors (no tau2) at three values of x.
suppressPackageStartupMessages(library(metafor))
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
tens <- c(92, 234, 213, 124, 259, 218, 180, 188, 205, 223, 291, 140)
top2 <- c(157, 379, 344, 212, 417, 359, 304, 332, 371, 403, 500, 260)
n <- c(393, 800, 698, 512, 806, 698, 626, 706, 793, 845, 734, 300)
yi <- log((tens + 0.5) / (top2 - tens + 0.5))
vi <- 1 / (tens + 0.5) + 1 / (top2 - tens + 0.5)
x <- log((n + 1) / (n - top2 + 0.5))
fit <- rma(yi, vi, mods = ~ x, method = "DL")
at <- c(0.5, 0.8, 1.3)
pr <- predict(fit, newmods = at)
inputs <- data.frame(what = "input", y = yi, v = vi, x = x, value = NA, se = NA)
out <- rbind(inputs,
             data.frame(what = "tau2", y = NA, v = NA, x = NA, value = fit$tau2, se = NA),
             data.frame(what = "intercept", y = NA, v = NA, x = NA, value = coef(fit)[[1]], se = sqrt(vcov(fit)[1, 1])),
             data.frame(what = "slope", y = NA, v = NA, x = NA, value = coef(fit)[[2]], se = sqrt(vcov(fit)[2, 2])),
             data.frame(what = "cov", y = NA, v = NA, x = NA, value = vcov(fit)[1, 2], se = NA),
             data.frame(what = "predict", y = NA, v = NA, x = at, value = pr$pred, se = pr$se))
write.csv(out, file.path(here, "meta_regression_r.csv"), row.names = FALSE)
