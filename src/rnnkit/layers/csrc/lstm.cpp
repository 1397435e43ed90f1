// The compiled path of the LSTM variants: the whole time loop, forward and backward, in C++.
//
// The same equations and the same derivatives as rnnkit/bptt/lstm_variants.py (read its
// docstring: the symbols below are its symbols), with two more variants that path lacks:
// peepholes (w_ci, w_cf, w_co) and a projection of h (W_hr, h of size R < H):
//     a_i += w_ci ⊙ c_{t−1},  a_f += w_cf ⊙ c_{t−1},  a_o += w_co ⊙ c̃
//     m = o ⊙ tanh(ĉ′),  h̃ = W_hr m (or m)
// whose derivatives add
//     δm = W_hrᵀ δh̃,  δW_hr += δh̃ mᵀ,  δc̃ += w_co ⊙ δa_o,
//     δc_{t−1} ∋ w_ci ⊙ δa_i + w_cf ⊙ δa_f,  δw_c· += Σ δa_· ⊙ (c_{t−1} or c̃).
// Per step, the recurrent matrix product goes to ATen (oneDNN / BLAS); everything else a step
// does (recurrent dropout, the layer norms, the gates, the cell update, zoneout, the length
// mask, and in the backward pass every local derivative) is one pass of plain loops over
// (B, H) here, with no Python in between. The backward recomputes each chunk of steps' gates
// at once from the saved h_t, c_t (batched ATen calls), as the Python path does, so memory
// stays that of the bptt backend.

#include "common.h"

namespace rnnkit {

// Forward. input: gxb (T, B, 4H) = W_ih x_t + b_ih + b_hh (or x (T, B, D) with w_ih and the
// bias sum); h0 (B, R), c0 (B, H); mask (T, B) bool or None; drop (B, R) or None; zone_h
// (T, B, R), zone_c (T, B, H) masks or None, else the constants zh, zc (evaluation; < 0: no
// zoneout); peephole (3H) [w_ci | w_cf | w_co] or None; w_hr (R, H) or None.
// Returns (Hs (T, B, R), C (T, B, H)): h_t and c_t of every step.
std::vector<Tensor> lstm_forward(const Tensor& input, const optional<Tensor>& w_ih,
                                 const optional<Tensor>& bias, const Tensor& h0, const Tensor& c0,
                                 const optional<Tensor>& mask, const Tensor& weight_hh,
                                 const optional<Tensor>& ln_hh, const optional<Tensor>& ln_c_w,
                                 const optional<Tensor>& ln_c_b, const optional<Tensor>& drop,
                                 const optional<Tensor>& zone_h, const optional<Tensor>& zone_c,
                                 const optional<Tensor>& peephole, const optional<Tensor>& w_hr,
                                 double zh_const, double zc_const) {
  const InputSide side = input_side(input, w_ih, bias);
  const int64_t T = input.size(0), B = input.size(1), H = c0.size(1), R = h0.size(1);
  const int64_t G = 4 * H;
  const bool projected = given(w_hr);
  auto Hs = at::empty({T, B, R}, h0.options());
  auto C = at::empty({T, B, H}, h0.options());
  auto w_t = weight_hh.t();
  Tensor w_hr_t = projected ? w_hr->t() : Tensor();
  auto u = at::empty({B, R}, h0.options());
  auto v = at::empty({B, G}, h0.options());
  auto a = at::empty({B, G}, h0.options());
  auto s = at::empty({B, H}, h0.options());  // o
  auto c_tilde = at::empty({B, H}, h0.options());
  auto c_out = at::empty({B, H}, h0.options());  // tanh(ĉ′), then m = o ⊙ tanh(ĉ′)
  auto h_tilde = projected ? at::empty({B, R}, h0.options()) : c_out;
  Tensor h = h0.contiguous(), c = c0.contiguous();
  Tensor gx_chunk;
  AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "lstm_variants_forward", [&] {
    const Options<scalar_t> o(mask, ln_hh, ln_c_w, ln_c_b, drop, zone_h, zone_c, zh_const,
                              zc_const);
    // the peephole weights, or zeros: one branch-free gate loop (a branch inside it keeps the
    // compiler from vectorising the σ and tanh)
    const std::vector<scalar_t> no_peephole(given(peephole) ? 0 : 3 * H, scalar_t(0));
    const scalar_t* pw = given(peephole) ? peephole->data_ptr<scalar_t>() : no_peephole.data();
    const scalar_t zh = o.zh, zc = o.zc;
    for (int64_t t = 0; t < T; ++t) {
      if (t % kChunk == 0) gx_chunk = side.chunk(t, std::min(t + kChunk, T)).contiguous();
      const scalar_t* gx = gx_chunk.data_ptr<scalar_t>() + (t % kChunk) * B * G;
      const scalar_t* h_prev = h.data_ptr<scalar_t>();
      const scalar_t* c_prev = c.data_ptr<scalar_t>();
      // v = W_hh (h ⊙ m);  a_t = gx_t + γ_hh ⊙ v̂ (+ b_hh, inside gx)
      if (o.drop) {
        scalar_t* up = u.data_ptr<scalar_t>();
        for (int64_t k = 0; k < B * R; ++k) up[k] = h_prev[k] * o.drop[k];
      }
      const Tensor& source = o.drop ? u : h;
      if (o.ln_hh) {
        at::mm_out(v, source, w_t);  // v = W_hh u
        layer_norm_rows<scalar_t>(v.data_ptr<scalar_t>(), a.data_ptr<scalar_t>(), B, G, o.ln_hh,
                                  nullptr, gx);
      } else {
        at::addmm_out(a, gx_chunk[t % kChunk], source, w_t);
      }
      // i, f, g, o = σ(a_i), σ(a_f), tanh(a_g), σ(a_o) (peepholes inside);  c̃ = f ⊙ c + i ⊙ g
      const scalar_t* ap = a.data_ptr<scalar_t>();
      scalar_t* sp = s.data_ptr<scalar_t>();
      scalar_t* ct = c_tilde.data_ptr<scalar_t>();
      for (int64_t b = 0; b < B; ++b) {
        const scalar_t* row = ap + b * G;
        scalar_t* o_row = sp + b * H;
        const scalar_t* c_row = c_prev + b * H;
        scalar_t* ct_row = ct + b * H;
        _Pragma("omp simd")
        for (int64_t n = 0; n < H; ++n) {
          const scalar_t i = sigmoid(row[n] + pw[n] * c_row[n]);
          const scalar_t f = sigmoid(row[H + n] + pw[H + n] * c_row[n]);
          const scalar_t g = std::tanh(row[2 * H + n]);
          const scalar_t cn = f * c_row[n] + i * g;
          ct_row[n] = cn;
          o_row[n] = sigmoid(row[3 * H + n] + pw[2 * H + n] * cn);
        }
      }
      // m = o ⊙ tanh(ĉ′), ĉ′ = γ_c ⊙ LN(c̃) + β_c (or c̃);  h̃ = W_hr m (or m)
      scalar_t* co = c_out.data_ptr<scalar_t>();
      if (o.ln_c_w) {
        layer_norm_rows<scalar_t>(ct, co, B, H, o.ln_c_w, o.ln_c_b, nullptr);
        _Pragma("omp simd")
        for (int64_t k = 0; k < B * H; ++k) co[k] = sp[k] * std::tanh(co[k]);
      } else {
        _Pragma("omp simd")
        for (int64_t k = 0; k < B * H; ++k) co[k] = sp[k] * std::tanh(ct[k]);
      }
      if (projected) at::mm_out(h_tilde, c_out, w_hr_t);
      const scalar_t* hn_p = h_tilde.data_ptr<scalar_t>();
      scalar_t* h_next = Hs.data_ptr<scalar_t>() + t * B * R;
      scalar_t* c_next = C.data_ptr<scalar_t>() + t * B * H;
      const scalar_t* zh_t = o.zone_h ? o.zone_h + t * B * R : nullptr;
      const scalar_t* zc_t = o.zone_c ? o.zone_c + t * B * H : nullptr;
      const bool* m_t = o.mask ? o.mask + t * B : nullptr;
      for (int64_t b = 0; b < B; ++b) {
        const bool keep_going = m_t == nullptr || m_t[b];
        for (int64_t n = 0; n < H; ++n) {
          const int64_t k = b * H + n;
          scalar_t cn = ct[k];
          if (zc_t) cn = cn + zc_t[k] * (c_prev[k] - cn);
          else if (zc >= 0) cn = cn + zc * (c_prev[k] - cn);
          c_next[k] = keep_going ? cn : c_prev[k];
        }
        for (int64_t n = 0; n < R; ++n) {
          const int64_t k = b * R + n;
          scalar_t hn = hn_p[k];
          if (zh_t) hn = hn + zh_t[k] * (h_prev[k] - hn);
          else if (zh >= 0) hn = hn + zh * (h_prev[k] - hn);
          h_next[k] = keep_going ? hn : h_prev[k];
        }
      }
      h = Hs[t];
      c = C[t];
    }
  });
  return {Hs, C};
}

// Backward. Given what forward was given and returned and the gradients reaching the outputs
// (T, B, R, zero past each end), h_T and c_T: (δgx (T, B, 4H) or, from x, δx (T, B, D); δh_0,
// δc_0, δW_hh, δγ_hh, δγ_c, δβ_c; δW_ih (from x); δb = Σ_t δa_t; δpeephole; δW_hr).
std::vector<Tensor> lstm_backward(const Tensor& input, const optional<Tensor>& w_ih,
                                  const optional<Tensor>& bias, const Tensor& h0, const Tensor& c0,
                                  const optional<Tensor>& mask, const Tensor& weight_hh,
                                  const optional<Tensor>& ln_hh, const optional<Tensor>& ln_c_w,
                                  const optional<Tensor>& ln_c_b, const optional<Tensor>& drop,
                                  const optional<Tensor>& zone_h, const optional<Tensor>& zone_c,
                                  const optional<Tensor>& peephole, const optional<Tensor>& w_hr,
                                  double zh_const, double zc_const, const Tensor& C,
                                  const Tensor& Hs, const Tensor& d_out, const Tensor& d_hT,
                                  const Tensor& d_cT) {
  const InputSide side = input_side(input, w_ih, bias);
  const int64_t T = input.size(0), B = input.size(1), H = c0.size(1), R = h0.size(1);
  const int64_t G = 4 * H;
  const bool projected = given(w_hr);
  Tensor dA = side.from_x() ? Tensor() : at::empty_like(input);  // δa_t = ∂L/∂gx_t
  Tensor dx = side.from_x() ? at::empty_like(input) : Tensor();
  Tensor dW_ih = side.from_x() ? at::zeros_like(side.w_ih) : Tensor();
  Tensor db = at::zeros({G}, h0.options());
  auto dW = at::zeros_like(weight_hh);
  Tensor d_ln_hh = given(ln_hh) ? at::zeros_like(*ln_hh) : Tensor();
  Tensor d_ln_c_w = given(ln_c_w) ? at::zeros_like(*ln_c_w) : Tensor();
  Tensor d_ln_c_b = given(ln_c_b) ? at::zeros_like(*ln_c_b) : Tensor();
  Tensor d_peep = given(peephole) ? at::zeros_like(*peephole) : Tensor();
  Tensor dW_hr = projected ? at::zeros_like(*w_hr) : Tensor();
  Tensor delta_h = d_hT.clone(), delta_c = d_cT.clone();
  auto dh_new = at::empty({B, R}, h0.options());                         // δh̃
  auto dm = projected ? at::empty({B, H}, h0.options()) : dh_new;        // δm
  auto dc_new = at::empty({B, H}, h0.options());
  auto d_c_out = at::empty({B, H}, h0.options());
  auto through_h = at::empty({B, R}, h0.options());
  auto w_t = weight_hh.t();
  AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "lstm_variants_backward", [&] {
    const Options<scalar_t> o(mask, ln_hh, ln_c_w, ln_c_b, drop, zone_h, zone_c, zh_const,
                              zc_const);
    const bool peep = given(peephole);
    const std::vector<scalar_t> no_peephole(peep ? 0 : 3 * H, scalar_t(0));
    const scalar_t* pw = peep ? peephole->data_ptr<scalar_t>() : no_peephole.data();
    const scalar_t zh = o.zh, zc = o.zc;
    for (int64_t start = ((T - 1) / kChunk) * kChunk; start >= 0; start -= kChunk) {
      const int64_t end = std::min(start + kChunk, T), k_len = end - start;
      // the forward of steps [start, end) again, batched
      Tensor H_prev = start ? Hs.slice(0, start - 1, end - 1)
                            : at::cat({h0.unsqueeze(0), Hs.slice(0, 0, end - 1)});
      Tensor C_prev = start ? C.slice(0, start - 1, end - 1)
                            : at::cat({c0.unsqueeze(0), C.slice(0, 0, end - 1)});
      Tensor U = o.drop ? H_prev * *drop : H_prev.contiguous();
      Tensor V = at::matmul(U, w_t).contiguous();  // (k, B, 4H)
      Tensor A, v_mean, v_rstd;
      Tensor dA_c = side.from_x() ? at::empty({k_len, B, G}, h0.options())
                                  : dA.slice(0, start, end);  // δa of the chunk's steps
      if (o.ln_hh) {
        auto ln = at::native_layer_norm(V, {G}, *ln_hh, {}, kEps);
        A = side.chunk(start, end) + std::get<0>(ln);
        v_mean = std::get<1>(ln).contiguous();
        v_rstd = std::get<2>(ln).contiguous();
      } else {
        A = side.chunk(start, end) + V;
      }
      // the local derivative factors of every step of the chunk, in one pass per row:
      // δa = [δc̃ | δc̃ | δc̃ | δm] ⊙ P,  δĉ′ = δm ⊙ Q,  F (the forget gate) for δc_{t−1},
      // and M = o ⊙ tanh(ĉ′) (for δW_hr)
      const int64_t rows = k_len * B;
      Tensor P = at::empty({k_len, B, G}, h0.options());
      Tensor Q = at::empty({k_len, B, H}, h0.options());
      Tensor Fc = at::empty({k_len, B, H}, h0.options());
      Tensor C_new = at::empty({k_len, B, H}, h0.options());
      Tensor M = projected ? at::empty({k_len, B, H}, h0.options()) : Tensor();
      Tensor dHn = projected ? at::empty({k_len, B, R}, h0.options()) : Tensor();
      Tensor c_mean = o.ln_c_w ? at::empty({k_len, B, 1}, h0.options()) : Tensor();
      Tensor c_rstd = o.ln_c_w ? at::empty({k_len, B, 1}, h0.options()) : Tensor();
      Tensor Cp = C_prev.contiguous();
      {
        Tensor Ac = A.contiguous();
        const scalar_t* ap = Ac.data_ptr<scalar_t>();
        const scalar_t* cp = Cp.data_ptr<scalar_t>();
        scalar_t* pp = P.data_ptr<scalar_t>();
        scalar_t* qp = Q.data_ptr<scalar_t>();
        scalar_t* fp = Fc.data_ptr<scalar_t>();
        scalar_t* cn = C_new.data_ptr<scalar_t>();
        scalar_t* mp = projected ? M.data_ptr<scalar_t>() : nullptr;
        std::vector<scalar_t> c_out(H), m_scratch(H);  // (m: kept only with a projection)
        for (int64_t r = 0; r < rows; ++r) {
          const scalar_t* a_row = ap + r * G;
          const scalar_t* c_row = cp + r * H;
          scalar_t* p_row = pp + r * G;
          scalar_t* q_row = qp + r * H;
          scalar_t* f_row = fp + r * H;
          scalar_t* n_row = cn + r * H;
          _Pragma("omp simd")
          for (int64_t n = 0; n < H; ++n) {
            const scalar_t i = sigmoid(a_row[n] + pw[n] * c_row[n]);
            const scalar_t f = sigmoid(a_row[H + n] + pw[H + n] * c_row[n]);
            const scalar_t g = std::tanh(a_row[2 * H + n]);
            const scalar_t c_new = f * c_row[n] + i * g;  // c̃
            const scalar_t og = sigmoid(a_row[3 * H + n] + pw[2 * H + n] * c_new);
            p_row[n] = g * i * (1 - i);
            p_row[H + n] = c_row[n] * f * (1 - f);
            p_row[2 * H + n] = i * (1 - g * g);
            q_row[n] = og;  // (o for now)
            f_row[n] = f;
            n_row[n] = c_new;
          }
          if (o.ln_c_w) {
            layer_norm_rows<scalar_t>(n_row, c_out.data(), 1, H, o.ln_c_w, o.ln_c_b, nullptr,
                                      c_mean.data_ptr<scalar_t>() + r,
                                      c_rstd.data_ptr<scalar_t>() + r);
          } else {
            std::copy(n_row, n_row + H, c_out.data());
          }
          scalar_t* m_row = mp ? mp + r * H : m_scratch.data();
          _Pragma("omp simd")
          for (int64_t n = 0; n < H; ++n) {
            const scalar_t tc = std::tanh(c_out[n]), og = q_row[n];
            p_row[3 * H + n] = tc * og * (1 - og);
            q_row[n] = og * (1 - tc * tc);
            m_row[n] = og * tc;
          }
        }
      }
      Tensor dV = o.ln_hh ? at::empty_like(V) : dA_c;
      Tensor dC_out = o.ln_c_w ? at::empty_like(C_new) : Tensor();
      for (int64_t t = end - 1; t >= start; --t) {
        const int64_t j = t - start;
        const bool* m_t = o.mask ? o.mask + t * B : nullptr;
        const scalar_t* zh_t = o.zone_h ? o.zone_h + t * B * R : nullptr;
        const scalar_t* zc_t = o.zone_c ? o.zone_c + t * B * H : nullptr;
        scalar_t* dh_total = delta_h.data_ptr<scalar_t>();
        scalar_t* dc_total = delta_c.data_ptr<scalar_t>();
        const scalar_t* dout_t = d_out.data_ptr<scalar_t>() + t * B * R;
        const scalar_t* q = Q.data_ptr<scalar_t>() + j * B * H;
        // δh̃: with a projection straight into the chunk's buffer (δW_hr reads it)
        Tensor dh_step = projected ? dHn[j] : dh_new;
        scalar_t* dhn = dh_step.data_ptr<scalar_t>();
        scalar_t* dcn = dc_new.data_ptr<scalar_t>();
        scalar_t* dco = d_c_out.data_ptr<scalar_t>();
        // δh_t += δout_t; inside the sequence δh̃ = (1 − d^h) δh_t, δc̃ = (1 − d^c) δc_t
        for (int64_t b = 0; b < B; ++b) {
          const bool in = m_t == nullptr || m_t[b];
          for (int64_t n = 0; n < R; ++n) {
            const int64_t k = b * R + n;
            dh_total[k] += dout_t[k];  // (zero past the end)
            const scalar_t dh = in ? dh_total[k] : scalar_t(0);
            dhn[k] = dh * (1 - keep_factor(zh_t, zh, k));
          }
          for (int64_t n = 0; n < H; ++n) {
            const int64_t k = b * H + n;
            const scalar_t dc = in ? dc_total[k] : scalar_t(0);
            dcn[k] = dc * (1 - keep_factor(zc_t, zc, k));
          }
        }
        if (projected) at::mm_out(dm, dh_step, *w_hr);  // δm = W_hrᵀ δh̃
        const scalar_t* dmp = dm.data_ptr<scalar_t>();
        for (int64_t k = 0; k < B * H; ++k) dco[k] = dmp[k] * q[k];  // δĉ′
        if (o.ln_c_w) {
          scalar_t* keep = dC_out.data_ptr<scalar_t>() + j * B * H;
          std::copy(dco, dco + B * H, keep);
          layer_norm_backward_rows<scalar_t>(
              keep, C_new.data_ptr<scalar_t>() + j * B * H, c_mean.data_ptr<scalar_t>() + j * B,
              c_rstd.data_ptr<scalar_t>() + j * B, o.ln_c_w, dco, B, H);
        }
        scalar_t* da = dA_c.data_ptr<scalar_t>() + j * B * G;
        const scalar_t* p = P.data_ptr<scalar_t>() + j * B * G;
        for (int64_t b = 0; b < B; ++b) {
          scalar_t* row = da + b * G;
          const scalar_t* prow = p + b * G;
          for (int64_t n = 0; n < H; ++n) {
            const int64_t k = b * H + n;
            const scalar_t da_o = dmp[k] * prow[3 * H + n];
            row[3 * H + n] = da_o;
            dcn[k] += dco[k] + pw[2 * H + n] * da_o;  // δc̃
            const scalar_t dcv = dcn[k];
            row[n] = dcv * prow[n];
            row[H + n] = dcv * prow[H + n];
            row[2 * H + n] = dcv * prow[2 * H + n];
          }
        }
        Tensor dV_t = dV[j];
        if (o.ln_hh) {
          layer_norm_backward_rows<scalar_t>(
              da, V.data_ptr<scalar_t>() + j * B * G, v_mean.data_ptr<scalar_t>() + j * B,
              v_rstd.data_ptr<scalar_t>() + j * B, o.ln_hh, dV_t.data_ptr<scalar_t>(), B, G);
        }
        at::mm_out(through_h, dV_t, weight_hh);  // W_hhᵀ δv
        const scalar_t* th = through_h.data_ptr<scalar_t>();
        const scalar_t* f = Fc.data_ptr<scalar_t>() + j * B * H;
        for (int64_t b = 0; b < B; ++b) {
          if (m_t && !m_t[b]) continue;  // past the end: h and c were held, their totals pass
          for (int64_t n = 0; n < R; ++n) {
            const int64_t k = b * R + n;
            const scalar_t next_h = o.drop ? th[k] * o.drop[k] : th[k];
            dh_total[k] = next_h + dh_total[k] * keep_factor(zh_t, zh, k);
          }
          const scalar_t* row = da + b * G;
          for (int64_t n = 0; n < H; ++n) {
            const int64_t k = b * H + n;
            dc_total[k] = dcn[k] * f[k] + dc_total[k] * keep_factor(zc_t, zc, k) +
                          pw[n] * row[n] + pw[H + n] * row[H + n];
          }
        }
      }
      dW.addmm_(dV.reshape({-1, G}).t(), U.reshape({-1, R}));
      if (projected) dW_hr.addmm_(dHn.reshape({-1, R}).t(), M.reshape({-1, H}));
      if (peep) {  // δw_ci, δw_cf: Σ δa_i, δa_f ⊙ c_{t−1};  δw_co: Σ δa_o ⊙ c̃
        auto gates = dA_c.view({k_len, B, 4, H});
        auto by_prev = (gates.slice(2, 0, 2) * Cp.unsqueeze(2)).sum({0, 1});  // (2, H)
        auto by_new = (gates.select(2, 3) * C_new).sum({0, 1});
        d_peep.slice(0, 0, 2 * H) += by_prev.reshape({-1});
        d_peep.slice(0, 2 * H, 3 * H) += by_new;
      }
      if (o.ln_hh) {
        d_ln_hh += (dA_c * (V - v_mean) * v_rstd).sum({0, 1});
      }
      if (o.ln_c_w) {
        d_ln_c_w += (dC_out * (C_new - c_mean) * c_rstd).sum({0, 1});
        d_ln_c_b += dC_out.sum({0, 1});
      }
      db += dA_c.sum({0, 1});
      if (side.from_x()) input_side_backward(side, dA_c, start, end, dx, dW_ih);
    }
  });
  return {side.from_x() ? dx : dA, delta_h, delta_c, dW, d_ln_hh, d_ln_c_w, d_ln_c_b, dW_ih, db,
          d_peep, dW_hr};
}

}  // namespace rnnkit
