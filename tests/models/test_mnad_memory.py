"""MNAD's memory (read, update, the two feature losses) on hand-made cases, and its network's shapes and size."""

from __future__ import annotations

import math

import pytest
import torch

from vadbench_plugins.classic.memory import Memory, flat_queries, unflat
from vadbench_plugins.classic.mnad_net import MnadNet, MnadNetConfig


def memory_of(items) -> Memory:
    items = torch.tensor(items, dtype=torch.float32)
    memory = Memory(*items.shape)
    memory.items.copy_(items)
    return memory


def unit(*values) -> list[float]:
    norm = math.sqrt(sum(v * v for v in values))
    return [v / norm for v in values]


BASIS = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]


def test_read_concatenates_each_query_with_an_attention_weighted_sum_of_items():
    memory = memory_of(BASIS)  # items = the identity: a query's read is its attention weights themselves
    queries = torch.tensor([unit(0.8, 0.6, 0.0), unit(0.1, 0.2, 0.9), unit(1, 1, 1)])
    read = memory.read(queries)
    assert read.shape == (3, 6)
    assert torch.equal(read[:, :3], queries)
    weights = read[:, 3:]
    assert torch.allclose(weights.sum(dim=1), torch.ones(3))
    assert torch.allclose(weights, torch.softmax(queries, dim=1))
    assert torch.allclose(weights[2], torch.full((3,), 1 / 3))  # equally similar to every item


def test_read_passes_no_gradient_through_its_attention_weights():
    memory = memory_of(BASIS)
    queries = torch.tensor([unit(0.8, 0.6, 0.0)], requires_grad=True)
    memory.read(queries)[:, 3:].sum().backward()
    assert queries.grad is None or torch.count_nonzero(queries.grad) == 0


def test_update_pulls_each_item_towards_its_nearest_queries_weighted_as_the_authors_code():
    memory = memory_of(BASIS)
    q1, q2, q3, q4 = unit(0.8, 0.6, 0.0), unit(0.8, 0.0, 0.6), unit(0.0, 0.6, 0.8), unit(0.64, 0.6, 0.48)
    queries = torch.tensor([q1, q2, q3, q4])
    # nearest items: q1, q2, q4 -> item 0 (similarities 0.8, 0.8, 0.64); q3 -> item 2; none -> item 1.
    # v = softmax over queries per item; each owned query counts v / max over all queries of v: for item 0,
    # exp(s - 0.8): 1, 1 and exp(-0.16); for item 2, q3 has the largest similarity (0.8): 1.
    pull0 = [a + b + math.exp(-0.16) * c for a, b, c in zip(q1, q2, q4)]
    expected = torch.tensor([unit(*[i + p for i, p in zip(BASIS[0], pull0)]), BASIS[1],
                             unit(*[i + p for i, p in zip(BASIS[2], q3)])])
    updated = memory.updated(queries)
    assert torch.allclose(updated, expected, atol=1e-6)
    assert torch.equal(memory.items, torch.tensor(BASIS))  # ``updated`` leaves the memory as it is
    memory.update_(queries)
    assert torch.allclose(memory.items, expected, atol=1e-6)
    assert torch.allclose(memory.items.norm(dim=1), torch.ones(3))


def test_update_scales_by_the_most_similar_query_of_the_whole_batch_not_only_of_the_items_own():
    memory = memory_of(BASIS)
    qa, qb = unit(0.6, 0.55, 0.58), unit(0.7, 0.0, 0.714)  # qa -> item 0; qb -> item 2, yet closer to item 0
    sa, sb = qa[0], qb[0]
    assert sb > sa
    expected = torch.tensor([unit(*[i + math.exp(sa - sb) * q for i, q in zip(BASIS[0], qa)]), BASIS[1],
                             unit(*[i + q for i, q in zip(BASIS[2], qb)])])
    assert torch.allclose(memory.updated(torch.tensor([qa, qb])), expected, atol=1e-6)


def test_compactness_is_the_mean_squared_distance_to_the_nearest_item():
    memory = memory_of([[1.0, 0.0], [0.0, 1.0]])
    queries = torch.tensor([[1.0, 0.0], [0.6, 0.8]], requires_grad=True)  # nearest: item 0 (exact), item 1
    loss = memory.compactness(queries)
    assert loss.item() == pytest.approx((0.6**2 + 0.2**2) / 4)  # mean over 2 queries x 2 dims
    loss.backward()
    assert queries.grad is not None and memory.items.grad is None


def test_separateness_is_a_triplet_loss_with_the_nearest_and_second_nearest_items():
    memory = memory_of(BASIS)
    queries = torch.tensor([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0]])
    # query 0: distance 0 to item 0, sqrt(2) to the second nearest: margin met, 0.
    # query 1: nearest item 1 at sqrt(0.4), second item 0 at sqrt(0.8): sqrt(0.4) - sqrt(0.8) + 1.
    expected = (0.0 + math.sqrt(0.4) - math.sqrt(0.8) + 1.0) / 2
    assert memory.separateness(queries).item() == pytest.approx(expected, abs=1e-5)


def test_queries_are_unit_vectors_one_per_position_and_map_back():
    features = torch.randn(2, 5, 3, 4)
    queries = flat_queries(features)
    assert queries.shape == (2 * 3 * 4, 5)
    assert torch.allclose(queries.norm(dim=1), torch.ones(24))
    assert torch.allclose(unflat(queries, features), torch.nn.functional.normalize(features, dim=1))


def test_a_memory_of_one_item_is_refused():
    with pytest.raises(ValueError, match="at least 2 items"):
        Memory(1, 4)


def test_the_network_predicts_one_frame_from_the_context_through_the_memory():
    config = MnadNetConfig(context=4, channels=3, widths=(4, 8, 8, 16), memory_items=5)
    net = MnadNet(config).eval()
    context = torch.rand(2, 4, 3, 32, 24) * 2 - 1
    features, skips = net.encode(context)
    assert features.shape == (2, 16, 4, 3)
    assert [skip.shape[1:] for skip in skips] == [(4, 32, 24), (8, 16, 12), (8, 8, 6)]
    frame = net.decode(flat_queries(features), features, skips)
    assert frame.shape == (2, 3, 32, 24) and frame.abs().max() <= 1
    assert set(net.state_dict()) >= {"memory.items"}  # the items travel with the weights
    assert "memory.items" not in dict(net.named_parameters())  # and no optimiser touches them


def conv(inputs: int, outputs: int) -> int:
    return inputs * outputs * 9 + outputs  # 3x3 kernel + bias (transposed convs count the same)


def norm(channels: int) -> int:
    return 2 * channels  # BatchNorm's weight and bias


def test_the_paper_network_has_the_size_of_the_authors_convAE():
    with torch.device("meta"):
        net = MnadNet(MnadNetConfig())  # 12 input channels, widths 64-128-256-512, 10 items of 512-d
    double = lambda i, o: conv(i, o) + norm(o) + conv(o, o) + norm(o)  # noqa: E731
    encoder = double(12, 64) + double(64, 128) + double(128, 256) + conv(256, 512) + norm(512) + conv(512, 512)
    decoder = (double(1024, 512) + conv(512, 256) + norm(256) + double(512, 256) + conv(256, 128) + norm(128)
               + double(256, 128) + conv(128, 64) + norm(64)
               + conv(128, 64) + norm(64) + conv(64, 64) + norm(64) + conv(64, 3))
    assert encoder == 4_693_376 and decoder == 10_957_443
    assert sum(p.numel() for p in net.encoder.parameters()) == encoder
    assert sum(p.numel() for p in net.decoder.parameters()) == decoder
    assert sum(p.numel() for p in net.parameters()) == 15_650_819
    assert net.memory.items.shape == (10, 512)
