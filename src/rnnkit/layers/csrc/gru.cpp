// The compiled path of the GRU and its variants (layer norm, recurrent dropout, zoneout, length
// masks): the whole time loop, forward and backward, in C++.
//
// Forward, as rnnkit/cells/gru.py (PyTorch's variant, r applied after the product), with
// u = h_{t−1} ⊙ m (m: the recurrent-dropout mask) and v = W_hh u:
//     gh = v + b_hh, or with layer norm  gh = γ_hh ⊙ (v − μ)/σ + b_hh          (B, 3H)
//     r = σ(gi_r + gh_r),  z = σ(gi_z + gh_z),  n = tanh(gi_n + r ⊙ gh_n)
//     h̃ = (1 − z) ⊙ n + z ⊙ h_{t−1},   h_t = h̃ + d ⊙ (h_{t−1} − h̃)   (zoneout d: mask or p)
// gi = W_ih x_t + b_ih (or, with layer norm, autograd's LN(W_ih x_t) + b_ih, given whole).
// Past a sequence's end h is held. Backward, with δh_t the total gradient reaching h_t:
//     δh̃ = δh_t (1 − d),  δn = δh̃ (1 − z),  δz = δh̃ (h_{t−1} − n),  δa_n = δn (1 − n²)
//     δa_r = δa_n gh_n r (1 − r),  δa_z = δz z (1 − z)
//     δgi = [δa_r | δa_z | δa_n],  δgh = [δa_r | δa_z | δa_n ⊙ r],  δv = LN′ᵀ δgh (or δgh)
//     δh_{t−1} = m ⊙ W_hhᵀ δv + z ⊙ δh̃ + d ⊙ δh_t
//     δW_hh = Σ δv uᵀ,  δb_hh = Σ δgh,  δγ_hh = Σ δgh ⊙ v̂
// The backward recomputes each chunk of steps' products and gates at once from the saved h_t.

#include "common.h"

namespace rnnkit {

// Forward. input: gi (T, B, 3H) (b_ih inside), or x (T, B, D) with w_ih (and b_ih); mask
// (T, B) bool or None; drop (B, H) or None; zone (T, B, H) or None, else the constant zh
// (evaluation; < 0: no zoneout). Returns Hs (T, B, H).
Tensor gru_forward(const Tensor& input, const optional<Tensor>& w_ih,
                   const optional<Tensor>& b_ih, const Tensor& h0, const optional<Tensor>& mask,
                   const Tensor& weight_hh, const optional<Tensor>& b_hh,
                   const optional<Tensor>& ln_hh, const optional<Tensor>& drop,
                   const optional<Tensor>& zone, double zh_const) {
  const InputSide side = input_side(input, w_ih, b_ih);
  const int64_t T = input.size(0), B = input.size(1), H = h0.size(1), G = 3 * H;
  auto Hs = at::empty({T, B, H}, h0.options());
  auto w_t = weight_hh.t();
  auto u = at::empty({B, H}, h0.options());
  auto v = at::empty({B, G}, h0.options());
  auto gh = at::empty({B, G}, h0.options());
  Tensor h = h0.contiguous(), gi_chunk;
  AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "gru_forward", [&] {
    const Options<scalar_t> o(mask, ln_hh, {}, {}, drop, zone, {}, zh_const, -1.0);
    const scalar_t* b_hh_p = ptr_or_null<scalar_t>(b_hh);
    for (int64_t t = 0; t < T; ++t) {
      if (t % kChunk == 0) gi_chunk = side.chunk(t, std::min(t + kChunk, T)).contiguous();
      const scalar_t* gi = gi_chunk.data_ptr<scalar_t>() + (t % kChunk) * B * G;
      const scalar_t* h_prev = h.data_ptr<scalar_t>();
      if (o.drop) {
        scalar_t* up = u.data_ptr<scalar_t>();
        for (int64_t k = 0; k < B * H; ++k) up[k] = h_prev[k] * o.drop[k];
      }
      const Tensor& source = o.drop ? u : h;
      if (o.ln_hh) {
        at::mm_out(v, source, w_t);
        layer_norm_rows<scalar_t>(v.data_ptr<scalar_t>(), gh.data_ptr<scalar_t>(), B, G, o.ln_hh,
                                  b_hh_p, nullptr);
      } else if (b_hh_p) {
        at::addmm_out(gh, *b_hh, source, w_t);
      } else {
        at::mm_out(gh, source, w_t);
      }
      const scalar_t* ghp = gh.data_ptr<scalar_t>();
      scalar_t* h_next = Hs.data_ptr<scalar_t>() + t * B * H;
      const scalar_t* z_t = o.zone_h ? o.zone_h + t * B * H : nullptr;
      const bool* m_t = o.mask ? o.mask + t * B : nullptr;
      for (int64_t b = 0; b < B; ++b) {
        const scalar_t* gi_row = gi + b * G;
        const scalar_t* gh_row = ghp + b * G;
        const scalar_t* hp = h_prev + b * H;
        scalar_t* hn = h_next + b * H;
        if (m_t && !m_t[b]) {  // past the end: held
          std::copy(hp, hp + H, hn);
          continue;
        }
        _Pragma("omp simd")
        for (int64_t n = 0; n < H; ++n) {
          const scalar_t r = sigmoid(gi_row[n] + gh_row[n]);
          const scalar_t z = sigmoid(gi_row[H + n] + gh_row[H + n]);
          const scalar_t cand = std::tanh(gi_row[2 * H + n] + r * gh_row[2 * H + n]);
          hn[n] = (1 - z) * cand + z * hp[n];  // h̃
        }
        if (z_t || o.zh >= 0) {  // zoneout: h_t = h̃ + d ⊙ (h_{t−1} − h̃)
          for (int64_t n = 0; n < H; ++n) {
            const scalar_t d = keep_factor(z_t, o.zh, b * H + n);
            hn[n] += d * (hp[n] - hn[n]);
          }
        }
      }
      h = Hs[t];
    }
  });
  return Hs;
}

// Backward. What forward was given and returned, the gradients reaching the outputs (T, B, H,
// zero past each end) and h_T: (δinput (δgi or δx), δh_0, δW_hh, δγ_hh, δW_ih, δb_ih, δb_hh).
std::vector<Tensor> gru_backward(const Tensor& input, const optional<Tensor>& w_ih,
                                 const optional<Tensor>& b_ih, const Tensor& h0,
                                 const optional<Tensor>& mask, const Tensor& weight_hh,
                                 const optional<Tensor>& b_hh, const optional<Tensor>& ln_hh,
                                 const optional<Tensor>& drop, const optional<Tensor>& zone,
                                 double zh_const, const Tensor& Hs, const Tensor& d_out,
                                 const Tensor& d_hT) {
  const InputSide side = input_side(input, w_ih, b_ih);
  const int64_t T = input.size(0), B = input.size(1), H = h0.size(1), G = 3 * H;
  Tensor d_input = at::empty_like(input);
  Tensor dW_ih = side.from_x() ? at::zeros_like(side.w_ih) : Tensor();
  Tensor db_ih = at::zeros({G}, h0.options()), db_hh = at::zeros({G}, h0.options());
  auto dW = at::zeros_like(weight_hh);
  Tensor d_ln_hh = given(ln_hh) ? at::zeros_like(*ln_hh) : Tensor();
  Tensor delta_h = d_hT.clone();
  auto direct = at::empty({B, H}, h0.options());
  auto through_h = at::empty({B, H}, h0.options());
  AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "gru_backward", [&] {
    const Options<scalar_t> o(mask, ln_hh, {}, {}, drop, zone, {}, zh_const, -1.0);
    for (int64_t start = ((T - 1) / kChunk) * kChunk; start >= 0; start -= kChunk) {
      const int64_t end = std::min(start + kChunk, T), k_len = end - start;
      Tensor H_prev = start ? Hs.slice(0, start - 1, end - 1)
                            : at::cat({h0.unsqueeze(0), Hs.slice(0, 0, end - 1)});
      H_prev = H_prev.contiguous();
      Tensor U = o.drop ? H_prev * *drop : H_prev;
      Tensor V = at::matmul(U, weight_hh.t()).contiguous();  // (k, B, 3H)
      Tensor GH, v_mean, v_rstd;
      if (o.ln_hh) {
        auto ln = at::native_layer_norm(V, {G}, *ln_hh, b_hh, kEps);
        GH = std::get<0>(ln).contiguous();
        v_mean = std::get<1>(ln).contiguous();
        v_rstd = std::get<2>(ln).contiguous();
      } else {
        GH = given(b_hh) ? (V + *b_hh).contiguous() : V;
      }
      Tensor GI = side.chunk(start, end).contiguous();
      // r, z, n of every step of the chunk (the factors the reverse loop reads)
      Tensor R = at::empty({k_len, B, H}, h0.options());
      Tensor Z = at::empty_like(R), N = at::empty_like(R);
      {
        const scalar_t* gip = GI.data_ptr<scalar_t>();
        const scalar_t* ghp = GH.data_ptr<scalar_t>();
        scalar_t *rp = R.data_ptr<scalar_t>(), *zp = Z.data_ptr<scalar_t>();
        scalar_t* np_ = N.data_ptr<scalar_t>();
        for (int64_t row = 0; row < k_len * B; ++row) {
          const scalar_t* gi_row = gip + row * G;
          const scalar_t* gh_row = ghp + row * G;
          scalar_t *r_row = rp + row * H, *z_row = zp + row * H, *n_row = np_ + row * H;
          _Pragma("omp simd")
          for (int64_t n = 0; n < H; ++n) {
            const scalar_t r = sigmoid(gi_row[n] + gh_row[n]);
            r_row[n] = r;
            z_row[n] = sigmoid(gi_row[H + n] + gh_row[H + n]);
            n_row[n] = std::tanh(gi_row[2 * H + n] + r * gh_row[2 * H + n]);
          }
        }
      }
      Tensor dGI = at::empty({k_len, B, G}, h0.options());
      Tensor dGH = at::empty({k_len, B, G}, h0.options());
      Tensor dV = o.ln_hh ? at::empty_like(V) : dGH;
      for (int64_t t = end - 1; t >= start; --t) {
        const int64_t j = t - start;
        const bool* m_t = o.mask ? o.mask + t * B : nullptr;
        const scalar_t* z_t = o.zone_h ? o.zone_h + t * B * H : nullptr;
        scalar_t* dh_total = delta_h.data_ptr<scalar_t>();
        const scalar_t* dout_t = d_out.data_ptr<scalar_t>() + t * B * H;
        const scalar_t* hp = H_prev.data_ptr<scalar_t>() + j * B * H;
        const scalar_t* r = R.data_ptr<scalar_t>() + j * B * H;
        const scalar_t* z = Z.data_ptr<scalar_t>() + j * B * H;
        const scalar_t* nn = N.data_ptr<scalar_t>() + j * B * H;
        const scalar_t* gh = GH.data_ptr<scalar_t>() + j * B * G;
        scalar_t* dgi = dGI.data_ptr<scalar_t>() + j * B * G;
        scalar_t* dgh = dGH.data_ptr<scalar_t>() + j * B * G;
        scalar_t* dir = direct.data_ptr<scalar_t>();
        const scalar_t zc = o.zh;
        for (int64_t b = 0; b < B; ++b) {
          const bool in = m_t == nullptr || m_t[b];
          scalar_t* gi_row = dgi + b * G;
          scalar_t* gh_row = dgh + b * G;
          const scalar_t* ghn = gh + b * G + 2 * H;
          _Pragma("omp simd")
          for (int64_t n = 0; n < H; ++n) {
            const int64_t k = b * H + n;
            dh_total[k] += dout_t[k];  // (zero past the end)
            const scalar_t dh = in ? dh_total[k] : scalar_t(0);
            const scalar_t d = keep_factor(z_t, zc, k);
            const scalar_t dht = dh * (1 - d);
            const scalar_t dn = dht * (1 - z[k]);
            const scalar_t dz = dht * (hp[k] - nn[k]);
            const scalar_t da_n = dn * (1 - nn[k] * nn[k]);
            const scalar_t da_r = da_n * ghn[n] * r[k] * (1 - r[k]);
            const scalar_t da_z = dz * z[k] * (1 - z[k]);
            gi_row[n] = da_r;
            gi_row[H + n] = da_z;
            gi_row[2 * H + n] = da_n;
            gh_row[n] = da_r;
            gh_row[H + n] = da_z;
            gh_row[2 * H + n] = da_n * r[k];
            dir[k] = dht * z[k] + dh * d;
          }
        }
        Tensor dV_t = dV[j];
        if (o.ln_hh) {
          layer_norm_backward_rows<scalar_t>(
              dgh, V.data_ptr<scalar_t>() + j * B * G, v_mean.data_ptr<scalar_t>() + j * B,
              v_rstd.data_ptr<scalar_t>() + j * B, o.ln_hh, dV_t.data_ptr<scalar_t>(), B, G);
        }
        at::mm_out(through_h, dV_t, weight_hh);  // W_hhᵀ δv
        const scalar_t* th = through_h.data_ptr<scalar_t>();
        for (int64_t b = 0; b < B; ++b) {
          if (m_t && !m_t[b]) continue;  // past the end: h was held, its total passes through
          for (int64_t n = 0; n < H; ++n) {
            const int64_t k = b * H + n;
            dh_total[k] = (o.drop ? th[k] * o.drop[k] : th[k]) + dir[k];
          }
        }
      }
      dW.addmm_(dV.reshape({-1, G}).t(), U.reshape({-1, H}));
      if (o.ln_hh) d_ln_hh += (dGH * (V - v_mean) * v_rstd).sum({0, 1});
      db_hh += dGH.sum({0, 1});
      if (side.from_x()) db_ih += dGI.sum({0, 1});  // (given gi: its gradient is all)
      input_side_backward(side, dGI, start, end, d_input, dW_ih);
    }
  });
  return {d_input, delta_h, dW, d_ln_hh, dW_ih, db_ih, db_hh};
}

}  // namespace rnnkit
