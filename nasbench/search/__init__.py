"""nasbench.search"""
