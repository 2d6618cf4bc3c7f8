"""nasbench.model"""
