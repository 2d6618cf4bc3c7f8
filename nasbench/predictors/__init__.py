"""nasbench.predictors"""
