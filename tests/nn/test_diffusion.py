"""The diffusion schedule, the masked loss, the samplers and the EMA."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vadbench.errors import ConfigError
from vadbench.nn.diffusion import GaussianDiffusion
from vadbench.nn.ema import ema_decay, ema_model
from vadbench.nn.samplers import WindowNoise, respaced_timesteps, sample


def test_schedule_is_linear_from_1e4_to_002():
    diffusion = GaussianDiffusion()
    assert diffusion.betas[0] == pytest.approx(1e-4) and diffusion.betas[-1] == pytest.approx(0.02)
    assert diffusion.alphas_cumprod[-1] == pytest.approx(4.04e-5, rel=0.01)


def test_q_sample_mixes_signal_and_noise():
    diffusion = GaussianDiffusion()
    x0, noise = torch.ones(2, 3, 2, 4, 4), torch.zeros(2, 3, 2, 4, 4)
    x_t = diffusion.q_sample(x0, torch.tensor([0, 999]), noise)
    assert x_t[0].mean() == pytest.approx(np.sqrt(1 - 1e-4), abs=1e-6)
    assert x_t[1].mean() == pytest.approx(np.sqrt(diffusion.alphas_cumprod[-1]), abs=1e-6)


def test_loss_ignores_anchor_frames():
    """Gradient w.r.t. the prediction (and the loss itself) does not depend on anchor frames."""
    diffusion = GaussianDiffusion()
    x0, noise = torch.randn(2, 3, 5, 4, 4), torch.randn(2, 3, 5, 4, 4)
    anchors = torch.tensor([[True, False, True, False, False], [False] * 5])
    prediction = torch.zeros_like(x0, requires_grad=True)
    seen = []

    def model(x_t, t, anchors):
        seen.append(x_t)
        return prediction

    loss = diffusion.training_loss(model, x0, anchors, torch.tensor([500, 20]), noise)
    loss.backward()
    assert (prediction.grad[0][:, anchors[0]] == 0).all() and (prediction.grad[0][:, ~anchors[0]] != 0).all()
    assert (prediction.grad[1] != 0).all()
    torch.testing.assert_close(seen[0][0][:, anchors[0]], x0[0][:, anchors[0]])  # anchors fed clean
    masked = noise[0][:, ~anchors[0]].square().mean() + noise[1].square().mean()
    torch.testing.assert_close(loss, masked / 2)


def test_loss_refuses_clips_without_masked_frames():
    diffusion = GaussianDiffusion()
    with pytest.raises(ValueError, match="non-anchor"):
        diffusion.training_loss(lambda x, t, anchors: x, torch.zeros(1, 3, 2, 4, 4), torch.ones(1, 2, dtype=torch.bool),
                                torch.tensor([1]), torch.zeros(1, 3, 2, 4, 4))


def test_respacing_spans_the_schedule():
    assert respaced_timesteps(1000, 1000).tolist() == list(range(1000))
    spaced = respaced_timesteps(1000, 200)
    assert len(spaced) == 200 and spaced[0] == 0 and spaced[-1] == 999
    with pytest.raises(ConfigError, match="between 1 and 1000"):
        respaced_timesteps(1000, 0)


@pytest.mark.parametrize("method", ["ddpm", "ddim"])
def test_samplers_return_anchors_exactly(method):
    diffusion = GaussianDiffusion()
    x0 = torch.rand(2, 3, 6, 4, 4) * 2 - 1
    anchors = torch.tensor([True, True, False, False, False, True])
    out = sample(lambda x, t, anchors: torch.zeros_like(x), diffusion, x0, anchors, method=method, steps=5,
                 noise=WindowNoise([0, 1]))
    assert torch.equal(out[:, :, anchors], x0[:, :, anchors])
    assert not torch.equal(out[:, :, ~anchors], x0[:, :, ~anchors])


def test_sampler_feeds_clean_anchors_at_every_step():
    diffusion = GaussianDiffusion()
    x0 = torch.rand(1, 3, 4, 2, 2)
    anchors = torch.tensor([True, False, False, True])
    inputs = []

    def model(x, t, anchors):
        inputs.append(x.clone())
        return torch.zeros_like(x)

    sample(model, diffusion, x0, anchors, method="ddpm", steps=7, noise=WindowNoise([0]))
    assert len(inputs) == 7
    assert all(torch.equal(x[:, :, anchors], x0[:, :, anchors]) for x in inputs)


def gaussian_eps_model(diffusion: GaussianDiffusion, mean: float, std: float):
    """The exact epsilon predictor for data x0 ~ N(mean, std^2) i.i.d. per element."""

    def model(x, t, anchors):
        abar = diffusion.gather(diffusion.alphas_cumprod, t, x)
        return (1 - abar).sqrt() * (x - abar.sqrt() * mean) / (abar * std**2 + 1 - abar)

    return model


@pytest.mark.parametrize(("method", "steps", "eta"), [("ddpm", 1000, 0.0), ("ddpm", 200, 0.0), ("ddim", 200, 0.0),
                                                      ("ddim", 1000, 1.0)])
def test_samplers_draw_from_the_data_distribution(method, steps, eta):
    """Full and respaced DDPM, and DDIM, all recover N(0.2, 0.3^2) when given the exact score.

    (With few steps DDIM under-disperses: at 50 steps its std is about 0.275 on this problem.)"""
    diffusion = GaussianDiffusion()
    model = gaussian_eps_model(diffusion, 0.2, 0.3)
    x0 = torch.zeros(1, 1, 2, 100, 100)
    out = sample(model, diffusion, x0, torch.tensor([False, False]), method=method, steps=steps, eta=eta,
                 noise=WindowNoise([1]))
    assert out.mean().item() == pytest.approx(0.2, abs=0.01)
    assert out.std().item() == pytest.approx(0.3, abs=0.01)


def exact_prediction(diffusion: GaussianDiffusion, mean: float, std: float):
    """The exact network output, under the diffusion's parameterisation, for data x0 ~ N(mean, std^2)."""
    eps_model = gaussian_eps_model(diffusion, mean, std)

    def model(x, t, anchors):
        abar = diffusion.gather(diffusion.alphas_cumprod, t, x)
        eps = eps_model(x, t, anchors)
        x0 = (x - (1 - abar).sqrt() * eps) / abar.sqrt()
        return {"eps": eps, "x0": x0, "v": abar.sqrt() * eps - (1 - abar).sqrt() * x0}[diffusion.parameterisation]

    return model


@pytest.mark.parametrize("parameterisation", ["eps", "x0", "v"])
def test_parameterisations_give_the_same_sampler(parameterisation):
    """The exact predictor in each parameterisation yields the same DDIM samples as in epsilon form."""
    reference, diffusion = GaussianDiffusion(), GaussianDiffusion(parameterisation=parameterisation)
    x0 = torch.zeros(1, 1, 2, 20, 20)
    anchors = torch.tensor([False, False])
    expected = sample(exact_prediction(reference, 0.2, 0.3), reference, x0, anchors, steps=20, noise=WindowNoise([3]))
    out = sample(exact_prediction(diffusion, 0.2, 0.3), diffusion, x0, anchors, steps=20, noise=WindowNoise([3]))
    torch.testing.assert_close(out, expected, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("parameterisation", ["eps", "x0", "v"])
def test_training_target_is_what_the_exact_predictor_outputs(parameterisation):
    diffusion = GaussianDiffusion(parameterisation=parameterisation)
    x0, noise, t = torch.randn(2, 3, 2, 4, 4), torch.randn(2, 3, 2, 4, 4), torch.tensor([10, 900])
    x_t = diffusion.q_sample(x0, t, noise)
    target = diffusion.target(x0, t, noise)
    for i in range(2):
        abar = float(diffusion.alphas_cumprod[t[i]])
        torch.testing.assert_close(diffusion.predict_x0(target[i], x_t[i], abar), x0[i], atol=1e-5, rtol=1e-5)


def test_a_window_draws_the_same_noise_whatever_shares_its_batch():
    diffusion = GaussianDiffusion()
    x0 = torch.rand(3, 3, 4, 2, 2) * 2 - 1
    anchors = torch.tensor([True, False, False, True])
    model = gaussian_eps_model(diffusion, 0.0, 0.5)
    together = sample(model, diffusion, x0, anchors, method="ddpm", steps=5, noise=WindowNoise([7, 8, 9]))
    alone = sample(model, diffusion, x0[1:2], anchors, method="ddpm", steps=5, noise=WindowNoise([8]))
    assert torch.equal(together[1:2], alone)
    assert not torch.equal(together[0], together[1])


def test_start_step_denoises_the_real_frames_from_t0():
    """SDEdit: from t0 = 0 the real frames come back almost unchanged; from pure noise they do not."""
    diffusion = GaussianDiffusion()
    x0 = torch.rand(1, 3, 4, 8, 8) * 2 - 1
    anchors = torch.tensor([True, False, False, True])
    model = gaussian_eps_model(diffusion, 0.0, 0.5)
    calls = []

    def counting(x, t, anchors):
        calls.append(int(t[0]))
        return model(x, t, anchors)

    near = sample(counting, diffusion, x0, anchors, steps=10, start_step=0, noise=WindowNoise([0]))
    assert calls == [0]
    assert (near - x0).abs().max() < 0.05
    calls.clear()
    sample(counting, diffusion, x0, anchors, steps=10, start_step=300, noise=WindowNoise([0]))
    assert calls[0] == 300 and len(calls) == 10
    far = sample(model, diffusion, x0, anchors, steps=10, noise=WindowNoise([0]))
    assert (far - x0)[:, :, ~anchors].abs().mean() > 0.3
    with pytest.raises(ConfigError, match="start_step"):
        sample(model, diffusion, x0, anchors, steps=10, start_step=1000, noise=WindowNoise([0]))


def test_ema_warms_up_then_tracks_slowly():
    assert ema_decay(0, 0.9999) == pytest.approx(0.1)
    assert ema_decay(10, 0.9999) == pytest.approx(11 / 20)
    assert ema_decay(10**7, 0.9999) == 0.9999
    net = torch.nn.Linear(1, 1, bias=False)
    torch.nn.init.zeros_(net.weight)
    ema = ema_model(net, 0.9999)
    ema.update_parameters(net)  # first update: copy
    net.weight.data.fill_(1.0)
    ema.update_parameters(net)  # second update: decay (1 + 1) / (10 + 1)
    assert ema.module.weight.item() == pytest.approx(1 - 2 / 11)
