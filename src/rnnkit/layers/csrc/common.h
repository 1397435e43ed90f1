// What the compiled loops share: layer-norm rows and their input gradient, σ written for the
// compiler to vectorise, the call's optional tensors as raw pointers, and the input side
// W_ih x_t + b made a chunk of steps at a time.

#pragma once

#include <torch/extension.h>

#include <cmath>
#include <vector>

namespace rnnkit {

constexpr double kEps = 1e-5;
constexpr int64_t kChunk = 16;

using at::Tensor;
using c10::optional;

// Row-wise layer norm of x (B, N) into y: y = γ ⊙ (x − μ)/σ (+ β) (+ add), keeping μ and 1/σ.
template <typename scalar_t>
void layer_norm_rows(const scalar_t* x, scalar_t* y, int64_t B, int64_t N, const scalar_t* gamma,
                     const scalar_t* beta, const scalar_t* add, scalar_t* mean_out = nullptr,
                     scalar_t* rstd_out = nullptr) {
  for (int64_t b = 0; b < B; ++b) {
    const scalar_t* row = x + b * N;
    double mean = 0.0;
    for (int64_t n = 0; n < N; ++n) mean += row[n];
    mean /= N;
    double var = 0.0;
    for (int64_t n = 0; n < N; ++n) {
      const double d = row[n] - mean;
      var += d * d;
    }
    const scalar_t rstd = static_cast<scalar_t>(1.0 / std::sqrt(var / N + kEps));
    const scalar_t mu = static_cast<scalar_t>(mean);
    if (mean_out) mean_out[b] = mu;
    if (rstd_out) rstd_out[b] = rstd;
    scalar_t* out = y + b * N;
    const scalar_t* plus = add ? add + b * N : nullptr;
    for (int64_t n = 0; n < N; ++n) {
      scalar_t v = (row[n] - mu) * rstd * gamma[n];
      if (beta) v += beta[n];
      if (plus) v += plus[n];
      out[n] = v;
    }
  }
}

// The input gradient of a row-wise layer norm (no bias involved): for each row, with
// x̂ = (x − μ)/σ and δx̂ = γ ⊙ δy:  δx = (1/σ)(δx̂ − mean(δx̂) − x̂ ⊙ mean(δx̂ ⊙ x̂)).
template <typename scalar_t>
void layer_norm_backward_rows(const scalar_t* dy, const scalar_t* x, const scalar_t* mean,
                              const scalar_t* rstd, const scalar_t* gamma, scalar_t* dx, int64_t B,
                              int64_t N) {
  for (int64_t b = 0; b < B; ++b) {
    const scalar_t* d = dy + b * N;
    const scalar_t* row = x + b * N;
    const scalar_t mu = mean[b], r = rstd[b];
    double sum_d = 0.0, sum_dx = 0.0;
    for (int64_t n = 0; n < N; ++n) {
      const double g = static_cast<double>(d[n]) * gamma[n];
      sum_d += g;
      sum_dx += g * (row[n] - mu) * r;
    }
    const scalar_t m1 = static_cast<scalar_t>(sum_d / N), m2 = static_cast<scalar_t>(sum_dx / N);
    scalar_t* out = dx + b * N;
    for (int64_t n = 0; n < N; ++n) {
      const scalar_t xhat = (row[n] - mu) * r;
      out[n] = r * (d[n] * gamma[n] - m1 - xhat * m2);
    }
  }
}

// σ and tanh written for the compiler to vectorise (with -ffast-math, glibc's vector exp/tanh)
template <typename scalar_t>
inline scalar_t sigmoid(scalar_t x) {
  return scalar_t(1) / (scalar_t(1) + std::exp(-x));
}

template <typename scalar_t>
const scalar_t* ptr_or_null(const optional<Tensor>& t) {
  return t.has_value() && t->defined() ? t->data_ptr<scalar_t>() : nullptr;
}

inline bool given(const optional<Tensor>& t) { return t.has_value() && t->defined(); }

// The options of a call as raw pointers (null where an option is off) and zoneout's evaluation
// constants (< 0: none): what the forward and the backward loops read.
template <typename scalar_t>
struct Options {
  const bool* mask;
  const scalar_t *ln_hh, *ln_c_w, *ln_c_b, *drop, *zone_h, *zone_c;
  scalar_t zh, zc;
  Options(const optional<Tensor>& mask_, const optional<Tensor>& ln_hh_,
          const optional<Tensor>& ln_c_w_, const optional<Tensor>& ln_c_b_,
          const optional<Tensor>& drop_, const optional<Tensor>& zone_h_,
          const optional<Tensor>& zone_c_, double zh_, double zc_)
      : mask(given(mask_) ? mask_->data_ptr<bool>() : nullptr),
        ln_hh(ptr_or_null<scalar_t>(ln_hh_)), ln_c_w(ptr_or_null<scalar_t>(ln_c_w_)),
        ln_c_b(ptr_or_null<scalar_t>(ln_c_b_)), drop(ptr_or_null<scalar_t>(drop_)),
        zone_h(ptr_or_null<scalar_t>(zone_h_)), zone_c(ptr_or_null<scalar_t>(zone_c_)),
        zh(static_cast<scalar_t>(zh_)), zc(static_cast<scalar_t>(zc_)) {}
};

// The input side of steps [start, end), gx_t = W_ih x_t + b (b = b_ih + b_hh): given whole
// (`gxb` (T, B, 4H), for cells whose input side autograd computes: layer norm), or made here
// from x (T, B, D) a chunk at a time, in the forward and again in the backward, so that no
// (T, B, 4H) tensor is kept (the bptt backend's memory).
struct InputSide {
  Tensor input, w_ih, bias;  // input: gxb, or x when w_ih is defined
  bool from_x() const { return w_ih.defined(); }
  Tensor chunk(int64_t start, int64_t end) const {
    if (!from_x()) return input.slice(0, start, end);
    auto flat = input.slice(0, start, end).reshape({-1, input.size(2)});
    auto out = bias.defined() ? at::addmm(bias, flat, w_ih.t()) : at::mm(flat, w_ih.t());
    return out.view({end - start, input.size(1), w_ih.size(0)});
  }
};

inline InputSide input_side(const Tensor& input, const optional<Tensor>& w_ih,
                            const optional<Tensor>& bias) {
  return {input, given(w_ih) ? *w_ih : Tensor(), given(bias) ? *bias : Tensor()};
}

// The input side's backward for steps [start, end), given δa (k, B, G) of those steps: into
// `d_input` (T, B, ·) the gradient of what `input` holds — δgx itself, or from x
// δx_t = W_ihᵀ δa_t (and δW_ih += Σ δa_t x_tᵀ).
inline void input_side_backward(const InputSide& side, const Tensor& d_a, int64_t start,
                                int64_t end, Tensor& d_input, Tensor& d_w_ih) {
  if (!side.from_x()) {
    d_input.slice(0, start, end).copy_(d_a);
    return;
  }
  auto flat = d_a.reshape({-1, d_a.size(2)});
  auto x_c = side.input.slice(0, start, end).reshape({-1, side.input.size(2)});
  d_w_ih.addmm_(flat.t(), x_c);
  d_input.slice(0, start, end).copy_(at::mm(flat, side.w_ih).view({end - start, -1,
                                                                   side.input.size(2)}));
}

// The zoneout keep factor of unit k at a step: its mask, the evaluation constant, or 0.
template <typename scalar_t>
inline scalar_t keep_factor(const scalar_t* mask_t, scalar_t constant, int64_t k) {
  return mask_t ? mask_t[k] : (constant >= 0 ? constant : scalar_t(0));
}

}  // namespace rnnkit
