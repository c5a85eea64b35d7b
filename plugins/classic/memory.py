"""MNAD's memory of normal prototypes (Park, Noh, Ham, CVPR 2020, section 3.2): read, update and the two feature
losses, following the authors' code (cvlab-yonsei/MNAD, ``model/memory_final_spatial_sumonly_weight_ranking_top1.py``).

Queries are the encoder's features, one per position: ``n d`` with ``n = b h w``, L2-normalised along ``d``. The
``m`` items are unit vectors ``m d`` kept in a buffer (in the module's ``state_dict``, not a parameter: no
optimiser touches them; only ``update`` moves them). With ``s = queries @ items.T`` (``n m``):

- read weights ``w = softmax(s, over items)``: each query reads ``w @ items`` (``n d``), concatenated to itself;
- update weights ``v = softmax(s, over queries)``: item ``i`` moves to ``normalize(item_i + sum_{k in U_i}
  v[k, i] / max_k' v[k', i] * q_k)``, ``U_i`` the queries whose nearest item is ``i`` (an item no query is nearest
  to stays put). The max runs over every query of the batch, as in the authors' code (the paper's equation 4
  takes it over ``U_i``);
- nearest item = the largest ``s`` (for unit vectors, the smallest L2 distance).

Losses (the code's conventions, which differ from the paper's equations 6 and 7 only in their reductions and
distances): compactness = the mean over ``n d`` of ``(q - p)^2``, ``p`` the nearest item (equation 6 sums the
squared distances); separateness = ``mean_k max(|q_k - p_k| - |q_k - r_k| + 1, 0)``, ``r`` the second-nearest
item, with L2 distances (``nn.TripletMarginLoss(margin=1)``; equation 7 writes squared distances). Items are
constants in both (``detach``). At test time the compactness of one frame's queries is MNAD's feature distance.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

TRIPLET_MARGIN = 1.0


class Memory(nn.Module):
    """``items`` unit-norm memory items ``m d``: the prototypes of normal features."""

    items: torch.Tensor

    def __init__(self, size: int, dim: int) -> None:
        super().__init__()
        if size < 2:
            raise ValueError(f"the memory needs at least 2 items (separateness compares the two nearest), got {size}")
        # the authors' initialisation: uniform [0, 1) entries, normalised
        self.register_buffer("items", F.normalize(torch.rand(size, dim), dim=1))

    def scores(self, queries: torch.Tensor, items: torch.Tensor | None = None) -> torch.Tensor:
        """Similarities ``n m`` of queries ``n d`` with the items (``self.items`` unless ``items`` is given)."""
        return queries @ (self.items if items is None else items).t()

    def read(self, queries: torch.Tensor) -> torch.Tensor:
        """``n 2d``: each query ``n d`` concatenated with its read ``softmax(s, over items) @ items`` (the weights
        are detached, as in the authors' code: the read passes no gradient back into the query)."""
        weights = self.scores(queries).softmax(dim=1).detach()
        return torch.cat([queries, weights @ self.items], dim=1)

    def updated(self, queries: torch.Tensor) -> torch.Tensor:
        """The items ``m d`` after one update with ``queries`` ``n d`` (detached; ``self.items`` is left as is)."""
        with torch.no_grad():
            queries = queries.detach()
            similarity = self.scores(queries)
            weights = similarity.softmax(dim=0)  # n m: over queries, per item
            nearest = similarity.argmax(dim=1)
            scaled = weights / weights.max(dim=0, keepdim=True).values
            owned = F.one_hot(nearest, len(self.items)).to(queries.dtype)  # n m: 1 where the item is the nearest
            pulled = (scaled * owned).t() @ queries  # m d
            return F.normalize(self.items + pulled, dim=1)

    def update_(self, queries: torch.Tensor) -> None:
        """Move the items in place (``updated``)."""
        self.items.copy_(self.updated(queries))

    def nearest(self, queries: torch.Tensor, count: int = 1) -> torch.Tensor:
        """Indices ``n count`` of the ``count`` most similar items of each query, most similar first."""
        return self.scores(queries).topk(count, dim=1).indices

    def compactness(self, queries: torch.Tensor) -> torch.Tensor:
        """Mean over ``n d`` of the squared difference between each query and its nearest item (a scalar)."""
        positive = self.items[self.nearest(queries)[:, 0]].detach()
        return F.mse_loss(queries, positive)

    def separateness(self, queries: torch.Tensor) -> torch.Tensor:
        """Triplet loss (margin 1, L2 distances) of each query with its nearest and second-nearest items."""
        order = self.nearest(queries, 2)
        positive, negative = self.items[order[:, 0]].detach(), self.items[order[:, 1]].detach()
        return F.triplet_margin_loss(queries, positive, negative, margin=TRIPLET_MARGIN)


def flat_queries(features: torch.Tensor) -> torch.Tensor:
    """Encoder features ``b d h w`` -> unit-norm queries ``(b h w) d``."""
    return F.normalize(features, dim=1).permute(0, 2, 3, 1).reshape(-1, features.shape[1])


def unflat(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Per-query values ``(b h w) e`` back to a map ``b e h w`` shaped like the features ``like`` (``b d h w``)."""
    b, _, h, w = like.shape
    return values.reshape(b, h, w, -1).permute(0, 3, 1, 2)
