"""Which inverted lists a query scans, found exactly by one matrix product over the list centroids.

Large inverted files find their lists with an HNSW graph over the centroids (`IVF..._HNSW32`): adding 10 million
vectors assigns each to a list, which a flat scan of the centroids would make tens of minutes of arithmetic on 2
cores (an estimate: 6.5e13 multiply-adds). A query is different: it asks for a few hundred lists (1 in 42), and
the graph must then search so wide that reading every centroid is cheaper, and exact (docs/vector-tuning.md
has the measurement). The graph stays in the index file for adding vectors; only searching uses the centroids here.
"""

from __future__ import annotations

import numpy as np

from .faiss_params import MAX_CENTROID_FLOATS


class CoarseLists:
    def __init__(self, centroids: np.ndarray):
        self.centroids = np.ascontiguousarray(centroids, dtype=np.float32)

    @classmethod
    def of(cls, faiss, index) -> "CoarseLists | None":
        """For an inner-product inverted file whose lists an HNSW graph finds, if its centroids are few enough."""
        ivf = faiss.extract_index_ivf(index)
        quantizer = faiss.downcast_index(ivf.quantizer)
        if (not isinstance(quantizer, faiss.IndexHNSW) or ivf.metric_type != faiss.METRIC_INNER_PRODUCT
                or ivf.nlist * ivf.d > MAX_CENTROID_FLOATS):
            return None
        return cls(faiss.downcast_index(quantizer.storage).reconstruct_n(0, quantizer.ntotal))

    def nearest(self, queries: np.ndarray, nprobe: int) -> tuple[np.ndarray, np.ndarray]:
        """(inner products, list numbers) of each query's nprobe nearest lists, nearest first."""
        nprobe = min(nprobe, len(self.centroids))
        scores = queries @ self.centroids.T
        lists = np.argpartition(-scores, nprobe - 1, axis=1)[:, :nprobe]
        near = np.take_along_axis(scores, lists, axis=1)
        order = np.argsort(-near, axis=1, kind="stable")
        return (np.ascontiguousarray(np.take_along_axis(near, order, axis=1), dtype=np.float32),
                np.ascontiguousarray(np.take_along_axis(lists, order, axis=1), dtype=np.int64))

    def search(self, faiss, index, queries: np.ndarray, k: int, nprobe: int) -> tuple[np.ndarray, np.ndarray]:
        """FAISS's search of `index` (k x (scores, ids) per query), scanning the lists chosen here."""
        ivf = faiss.extract_index_ivf(index)
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        near, lists = self.nearest(queries, nprobe)
        scores = np.empty((len(queries), k), dtype=np.float32)
        ids = np.empty((len(queries), k), dtype=np.int64)
        params = faiss.SearchParametersIVF(nprobe=lists.shape[1])
        ptr = faiss.swig_ptr
        # The raw method: FAISS's Python wrapper of search_preassigned refuses search parameters.
        ivf.search_preassigned_c(len(queries), ptr(queries), k, ptr(lists), ptr(near), ptr(scores), ptr(ids), False,
                                 params, None)
        return scores, ids
