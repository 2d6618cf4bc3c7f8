"""nasbench.data"""
