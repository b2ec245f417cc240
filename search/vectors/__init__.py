"""Vector stores: the interface and its FAISS implementation."""
