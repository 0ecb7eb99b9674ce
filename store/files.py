"""The attachment store's old home: `BlobStore` is the local folder backend (store/blobs)."""

from __future__ import annotations

from store.blobs import CHUNK, Admit, Blobs, Stored, Usage, safe_name
from store.blobs.local import LocalBlobs

BlobStore = LocalBlobs

__all__ = ["CHUNK", "Admit", "BlobStore", "Blobs", "LocalBlobs", "Stored", "Usage", "safe_name"]
