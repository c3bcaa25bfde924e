"""Data: table files (CSV, Parquet, folders), columns and missing values,
targets, and the lectures' data sets.
"""
