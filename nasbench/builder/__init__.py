"""nasbench.builder"""
