// The compiled extension's Python bindings: one forward and one backward loop per cell
// (lstm.cpp, gru.cpp, elman.cpp; their arguments are documented there).

#include "common.h"

namespace rnnkit {

std::vector<Tensor> lstm_forward(const Tensor& input, const optional<Tensor>& w_ih,
                                 const optional<Tensor>& bias, const Tensor& h0, const Tensor& c0,
                                 const optional<Tensor>& mask, const Tensor& weight_hh,
                                 const optional<Tensor>& ln_hh, const optional<Tensor>& ln_c_w,
                                 const optional<Tensor>& ln_c_b, const optional<Tensor>& drop,
                                 const optional<Tensor>& zone_h, const optional<Tensor>& zone_c,
                                 const optional<Tensor>& peephole, const optional<Tensor>& w_hr,
                                 double zh_const, double zc_const);
std::vector<Tensor> lstm_backward(const Tensor& input, const optional<Tensor>& w_ih,
                                  const optional<Tensor>& bias, const Tensor& h0, const Tensor& c0,
                                  const optional<Tensor>& mask, const Tensor& weight_hh,
                                  const optional<Tensor>& ln_hh, const optional<Tensor>& ln_c_w,
                                  const optional<Tensor>& ln_c_b, const optional<Tensor>& drop,
                                  const optional<Tensor>& zone_h, const optional<Tensor>& zone_c,
                                  const optional<Tensor>& peephole, const optional<Tensor>& w_hr,
                                  double zh_const, double zc_const, const Tensor& C,
                                  const Tensor& Hs, const Tensor& d_out, const Tensor& d_hT,
                                  const Tensor& d_cT);
Tensor gru_forward(const Tensor& input, const optional<Tensor>& w_ih,
                   const optional<Tensor>& b_ih, const Tensor& h0, const optional<Tensor>& mask,
                   const Tensor& weight_hh, const optional<Tensor>& b_hh,
                   const optional<Tensor>& ln_hh, const optional<Tensor>& drop,
                   const optional<Tensor>& zone, double zh_const);
std::vector<Tensor> gru_backward(const Tensor& input, const optional<Tensor>& w_ih,
                                 const optional<Tensor>& b_ih, const Tensor& h0,
                                 const optional<Tensor>& mask, const Tensor& weight_hh,
                                 const optional<Tensor>& b_hh, const optional<Tensor>& ln_hh,
                                 const optional<Tensor>& drop, const optional<Tensor>& zone,
                                 double zh_const, const Tensor& Hs, const Tensor& d_out,
                                 const Tensor& d_hT);
Tensor elman_forward(const Tensor& input, const optional<Tensor>& w_ih,
                     const optional<Tensor>& bias, const Tensor& h0, const optional<Tensor>& mask,
                     const Tensor& weight_hh, const optional<Tensor>& ln_hh,
                     const optional<Tensor>& drop, const optional<Tensor>& zone, double zh_const,
                     bool relu);
std::vector<Tensor> elman_backward(const Tensor& input, const optional<Tensor>& w_ih,
                                   const optional<Tensor>& bias, const Tensor& h0,
                                   const optional<Tensor>& mask, const Tensor& weight_hh,
                                   const optional<Tensor>& ln_hh, const optional<Tensor>& drop,
                                   const optional<Tensor>& zone, double zh_const, bool relu,
                                   const Tensor& Hs, const Tensor& d_out, const Tensor& d_hT);

}  // namespace rnnkit

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("lstm_forward", &rnnkit::lstm_forward, "LSTM variants: the time loop, forward");
  m.def("lstm_backward", &rnnkit::lstm_backward, "LSTM variants: the time loop, backward");
  m.def("gru_forward", &rnnkit::gru_forward, "GRU variants: the time loop, forward");
  m.def("gru_backward", &rnnkit::gru_backward, "GRU variants: the time loop, backward");
  m.def("elman_forward", &rnnkit::elman_forward, "Elman variants: the time loop, forward");
  m.def("elman_backward", &rnnkit::elman_backward, "Elman variants: the time loop, backward");
}
