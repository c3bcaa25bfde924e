"""The model file: one allow-listed zip of JSON and .npy members, read under
a budget (``save``, ``load``, ``read_meta``), and all-or-nothing writes.
"""
