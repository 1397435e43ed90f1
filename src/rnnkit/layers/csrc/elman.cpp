// The compiled path of the Elman RNN and its variants (layer norm, recurrent dropout, zoneout,
// length masks): the whole time loop, forward and backward, in C++.
//
// Forward, as rnnkit/cells/elman.py, with u = s_{t−1} ⊙ m (m: the recurrent-dropout mask),
// v = W u and f = tanh or relu:
//     a_t = gx_t + v  (or, with layer norm, gx_t + γ_hh ⊙ (v − μ)/σ),   s̃ = f(a_t)
//     s_t = s̃ + d ⊙ (s_{t−1} − s̃)   (zoneout d: mask or p)
// gx = U x_t + b_ih + b_hh (or, with layer norm, autograd's LN(U x_t) + b_ih, b_hh added).
// Past a sequence's end s is held. Backward, with δs_t the total gradient reaching s_t:
//     δa = δs_t (1 − d) ⊙ f′(a_t)   (tanh: 1 − s̃², relu: [a_t > 0]),   δv = LN′ᵀ δa (or δa)
//     δs_{t−1} = m ⊙ Wᵀ δv + d ⊙ δs_t,   δW = Σ δv uᵀ,  δb = Σ δa,  δγ_hh = Σ δa ⊙ v̂

#include "common.h"

namespace rnnkit {

// Forward. input: gx (T, B, H) (both biases inside), or x (T, B, D) with w_ih (and the bias
// sum); mask (T, B) bool or None; drop (B, H) or None; zone (T, B, H) or None, else the
// constant zh (evaluation; < 0: none). Returns Hs (T, B, H).
Tensor elman_forward(const Tensor& input, const optional<Tensor>& w_ih,
                     const optional<Tensor>& bias, const Tensor& h0, const optional<Tensor>& mask,
                     const Tensor& weight_hh, const optional<Tensor>& ln_hh,
                     const optional<Tensor>& drop, const optional<Tensor>& zone, double zh_const,
                     bool relu) {
  const InputSide side = input_side(input, w_ih, bias);
  const int64_t T = input.size(0), B = input.size(1), H = h0.size(1);
  auto Hs = at::empty({T, B, H}, h0.options());
  auto w_t = weight_hh.t();
  auto u = at::empty({B, H}, h0.options());
  auto v = at::empty({B, H}, h0.options());
  auto a = at::empty({B, H}, h0.options());
  Tensor h = h0.contiguous(), gx_chunk;
  AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "elman_forward", [&] {
    const Options<scalar_t> o(mask, ln_hh, {}, {}, drop, zone, {}, zh_const, -1.0);
    for (int64_t t = 0; t < T; ++t) {
      if (t % kChunk == 0) gx_chunk = side.chunk(t, std::min(t + kChunk, T)).contiguous();
      const scalar_t* gx = gx_chunk.data_ptr<scalar_t>() + (t % kChunk) * B * H;
      const scalar_t* h_prev = h.data_ptr<scalar_t>();
      if (o.drop) {
        scalar_t* up = u.data_ptr<scalar_t>();
        for (int64_t k = 0; k < B * H; ++k) up[k] = h_prev[k] * o.drop[k];
      }
      const Tensor& source = o.drop ? u : h;
      if (o.ln_hh) {
        at::mm_out(v, source, w_t);
        layer_norm_rows<scalar_t>(v.data_ptr<scalar_t>(), a.data_ptr<scalar_t>(), B, H, o.ln_hh,
                                  nullptr, gx);
      } else {
        at::addmm_out(a, gx_chunk[t % kChunk], source, w_t);
      }
      // s̃ = f(a) in place, one vectorised pass; then zoneout and the length mask
      scalar_t* ap = a.data_ptr<scalar_t>();
      if (relu) {
        _Pragma("omp simd")
        for (int64_t k = 0; k < B * H; ++k) ap[k] = ap[k] > 0 ? ap[k] : scalar_t(0);
      } else {
        _Pragma("omp simd")
        for (int64_t k = 0; k < B * H; ++k) ap[k] = std::tanh(ap[k]);
      }
      scalar_t* h_next = Hs.data_ptr<scalar_t>() + t * B * H;
      const scalar_t* z_t = o.zone_h ? o.zone_h + t * B * H : nullptr;
      const bool* m_t = o.mask ? o.mask + t * B : nullptr;
      const scalar_t zc = o.zh;
      if (!z_t && zc < 0 && !m_t) {
        std::copy(ap, ap + B * H, h_next);
      } else {
        for (int64_t b = 0; b < B; ++b) {
          const bool in = m_t == nullptr || m_t[b];
          for (int64_t n = 0; n < H; ++n) {
            const int64_t k = b * H + n;
            const scalar_t d = keep_factor(z_t, zc, k);
            const scalar_t zoned = ap[k] + d * (h_prev[k] - ap[k]);
            h_next[k] = in ? zoned : h_prev[k];
          }
        }
      }
      h = Hs[t];
    }
  });
  return Hs;
}

// Backward: (δinput (δgx or δx), δh_0, δW_hh, δγ_hh, δW_ih, δb).
std::vector<Tensor> elman_backward(const Tensor& input, const optional<Tensor>& w_ih,
                                   const optional<Tensor>& bias, const Tensor& h0,
                                   const optional<Tensor>& mask, const Tensor& weight_hh,
                                   const optional<Tensor>& ln_hh, const optional<Tensor>& drop,
                                   const optional<Tensor>& zone, double zh_const, bool relu,
                                   const Tensor& Hs, const Tensor& d_out, const Tensor& d_hT) {
  const InputSide side = input_side(input, w_ih, bias);
  const int64_t T = input.size(0), B = input.size(1), H = h0.size(1);
  Tensor d_input = at::empty_like(input);
  Tensor dW_ih = side.from_x() ? at::zeros_like(side.w_ih) : Tensor();
  Tensor db = at::zeros({H}, h0.options());
  auto dW = at::zeros_like(weight_hh);
  Tensor d_ln_hh = given(ln_hh) ? at::zeros_like(*ln_hh) : Tensor();
  Tensor delta_h = d_hT.clone();
  auto through_h = at::empty({B, H}, h0.options());
  AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "elman_backward", [&] {
    const Options<scalar_t> o(mask, ln_hh, {}, {}, drop, zone, {}, zh_const, -1.0);
    for (int64_t start = ((T - 1) / kChunk) * kChunk; start >= 0; start -= kChunk) {
      const int64_t end = std::min(start + kChunk, T), k_len = end - start;
      Tensor H_prev = start ? Hs.slice(0, start - 1, end - 1)
                            : at::cat({h0.unsqueeze(0), Hs.slice(0, 0, end - 1)});
      Tensor U = o.drop ? H_prev * *drop : H_prev.contiguous();
      Tensor V = at::matmul(U, weight_hh.t()).contiguous();  // (k, B, H)
      Tensor A, v_mean, v_rstd;
      if (o.ln_hh) {
        auto ln = at::native_layer_norm(V, {H}, *ln_hh, {}, kEps);
        A = (side.chunk(start, end) + std::get<0>(ln)).contiguous();
        v_mean = std::get<1>(ln).contiguous();
        v_rstd = std::get<2>(ln).contiguous();
      } else {
        A = (side.chunk(start, end) + V).contiguous();
      }
      // f′(a_t) of every step of the chunk
      Tensor Fp = at::empty_like(A);
      {
        const scalar_t* ap = A.data_ptr<scalar_t>();
        scalar_t* fp = Fp.data_ptr<scalar_t>();
        if (relu) {
          _Pragma("omp simd")
          for (int64_t k = 0; k < k_len * B * H; ++k) fp[k] = ap[k] > 0 ? scalar_t(1) : scalar_t(0);
        } else {
          _Pragma("omp simd")
          for (int64_t k = 0; k < k_len * B * H; ++k) {
            const scalar_t s = std::tanh(ap[k]);
            fp[k] = 1 - s * s;
          }
        }
      }
      Tensor dA = at::empty_like(A);
      Tensor dV = o.ln_hh ? at::empty_like(V) : dA;
      for (int64_t t = end - 1; t >= start; --t) {
        const int64_t j = t - start;
        const bool* m_t = o.mask ? o.mask + t * B : nullptr;
        const scalar_t* z_t = o.zone_h ? o.zone_h + t * B * H : nullptr;
        scalar_t* dh_total = delta_h.data_ptr<scalar_t>();
        const scalar_t* dout_t = d_out.data_ptr<scalar_t>() + t * B * H;
        const scalar_t* fp = Fp.data_ptr<scalar_t>() + j * B * H;
        scalar_t* da = dA.data_ptr<scalar_t>() + j * B * H;
        const scalar_t zc = o.zh;
        for (int64_t b = 0; b < B; ++b) {
          const bool in = m_t == nullptr || m_t[b];
          _Pragma("omp simd")
          for (int64_t n = 0; n < H; ++n) {
            const int64_t k = b * H + n;
            dh_total[k] += dout_t[k];  // (zero past the end)
            const scalar_t dh = in ? dh_total[k] : scalar_t(0);
            da[k] = dh * (1 - keep_factor(z_t, zc, k)) * fp[k];
          }
        }
        Tensor dV_t = dV[j];
        if (o.ln_hh) {
          layer_norm_backward_rows<scalar_t>(
              da, V.data_ptr<scalar_t>() + j * B * H, v_mean.data_ptr<scalar_t>() + j * B,
              v_rstd.data_ptr<scalar_t>() + j * B, o.ln_hh, dV_t.data_ptr<scalar_t>(), B, H);
        }
        at::mm_out(through_h, dV_t, weight_hh);  // Wᵀ δv
        const scalar_t* th = through_h.data_ptr<scalar_t>();
        for (int64_t b = 0; b < B; ++b) {
          if (m_t && !m_t[b]) continue;  // past the end: s was held, its total passes through
          for (int64_t n = 0; n < H; ++n) {
            const int64_t k = b * H + n;
            const scalar_t back = o.drop ? th[k] * o.drop[k] : th[k];
            dh_total[k] = back + dh_total[k] * keep_factor(z_t, zc, k);
          }
        }
      }
      dW.addmm_(dV.reshape({-1, H}).t(), U.reshape({-1, H}));
      if (o.ln_hh) d_ln_hh += (dA * (V - v_mean) * v_rstd).sum({0, 1});
      db += dA.sum({0, 1});
      input_side_backward(side, dA, start, end, d_input, dW_ih);
    }
  });
  return {d_input, delta_h, dW, d_ln_hh, dW_ih, db};
}

}  // namespace rnnkit
