"""nasbench.tables"""
