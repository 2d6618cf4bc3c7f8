"""nasbench.analysis"""
