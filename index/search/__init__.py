"""Searching: the index directory, dense and BM25 search, fusion, the relevance floor, filters."""
