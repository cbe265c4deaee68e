#pragma once
/// @file
/// @brief Checkpoint store/restore for ember::MlpEnergy with its architecture (widths, activation, base scale) and
/// parameters; `restore_mlp` rebuilds the network from the file alone (format: io/checkpoint.hpp).
///
/// @code
/// ember::Checkpoint ck;  ember::store(ck, "model", model);  auto mlp = ember::restore_mlp<double>(ck, "model");
/// @endcode

#include <Eigen/Core>

#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/energy/mlp.hpp"
#include "ember/io/checkpoint.hpp"
#include "ember/simd/activations.hpp"

namespace ember {

namespace detail {
/// The name a checkpoint stores for an MLP activation: ember's four, or a user activation's `static constexpr
/// std::string_view name`.
template <class Activation>
constexpr std::string_view activation_name() {
  if constexpr (requires { std::string_view(Activation::name); }) return Activation::name;
  else if constexpr (std::is_same_v<Activation, Silu>) return "silu";
  else if constexpr (std::is_same_v<Activation, Softplus>) return "softplus";
  else if constexpr (std::is_same_v<Activation, Tanh>) return "tanh";
  else if constexpr (std::is_same_v<Activation, SmoothLeaky>) return "smooth_leaky";
  else static_assert(sizeof(Activation) == 0, "ember::store: give a user activation a "
                                              "`static constexpr std::string_view name` to checkpoint its MLP.");
}

/// The stored activation name (its bytes as a uint64 column, since entries hold numbers).
inline std::string stored_activation(const Checkpoint& ck, const std::string& key) {
  const auto codes = ck.counts(key + ".activation");
  std::string name;
  for (Index i = 0; i < codes.size(); ++i) name.push_back(static_cast<char>(codes(i) & 0x7f));
  return name;
}

template <class T>
std::string describe_widths(const std::vector<T>& widths) {
  std::string out = "{";
  for (std::size_t l = 0; l < widths.size(); ++l) out += (l ? ", " : "") + std::to_string(widths[l]);
  return out + "}";
}
}  // namespace detail

/// @brief Stores an MLP with what rebuilds it: `key.widths`, `key.activation` (its name), `key.base_scale` and
/// the parameters `key.params`.
template <Scalar T, class Activation>
void store(Checkpoint& ck, const std::string& key, const MlpEnergy<T, Activation>& mlp) {
  const std::vector<Index>& widths = mlp.widths();
  ck.set_counts(key + ".widths", Eigen::Map<const Eigen::Matrix<Index, Eigen::Dynamic, 1>>(
                                     widths.data(), static_cast<Index>(widths.size())));
  const std::string_view name = detail::activation_name<Activation>();
  Eigen::Matrix<Index, Eigen::Dynamic, 1> codes(static_cast<Index>(name.size()));
  for (std::size_t k = 0; k < name.size(); ++k) codes(static_cast<Index>(k)) = static_cast<unsigned char>(name[k]);
  ck.set_counts(key + ".activation", codes);
  ck.set(key + ".base_scale", Eigen::Matrix<T, 1, 1>::Constant(mlp.settings().base_scale));
  ck.set(key + ".params", mlp.params());
}

/// @brief Restores an MLP's parameters after checking that the stored architecture is this network's.
/// @throws ember::checkpoint_error naming what differs (widths, activation or base scale) and both values
template <Scalar T, class Activation>
void restore(const Checkpoint& ck, const std::string& key, MlpEnergy<T, Activation>& mlp) {
  const std::string where = "ember::restore: file \"" + ck.source() + "\": MLP '" + key + "': ";
  const auto stored = ck.counts(key + ".widths");
  const std::vector<Index> widths(stored.data(), stored.data() + stored.size());
  if (widths != mlp.widths())
    throw checkpoint_error(where + "widths are " + detail::describe_widths(widths) + " in the file, " +
                           detail::describe_widths(mlp.widths()) + " in the model");
  const std::string activation = detail::stored_activation(ck, key);
  if (activation != detail::activation_name<Activation>())
    throw checkpoint_error(where + "activation is '" + activation + "' in the file, '" +
                           std::string(detail::activation_name<Activation>()) + "' in the model");
  const T base_scale = ck.matrix<T>(key + ".base_scale", 1, 1)(0, 0);
  if (base_scale != mlp.settings().base_scale)
    throw checkpoint_error(where + "base_scale is " + detail::describe(base_scale) + " in the file, " +
                           detail::describe(mlp.settings().base_scale) + " in the model");
  restore_parameters(ck, key + ".params", mlp.params());
}

/// @brief Rebuilds an MLP from a checkpoint alone (widths, base scale and parameters as stored).
/// @throws ember::checkpoint_error if an entry is missing or the stored activation is not `Activation`
template <Scalar T, class Activation = Silu>
MlpEnergy<T, Activation> restore_mlp(const Checkpoint& ck, const std::string& key) {
  const std::string where = "ember::restore_mlp: file \"" + ck.source() + "\": MLP '" + key + "': ";
  const auto stored = ck.counts(key + ".widths");
  // The widths must be sensible and fit the stored parameters before any network is allocated.
  const Index stored_params = ck.vector<T>(key + ".params").size();
  const auto mismatch = [&] {
    return checkpoint_error(where + "widths " +
                            detail::describe_widths(std::vector<Index>(stored.data(), stored.data() + stored.size())) +
                            " do not describe a network of " + std::to_string(stored_params) + " parameters");
  };
  Index expected = 0;
  for (Index l = 0; l < stored.size(); ++l) {
    const Index in = stored(l), out = l + 1 < stored.size() ? stored(l + 1) : 1;
    if (in < 1 || in > stored_params || out > stored_params) throw mismatch();
    expected += (in + 1) * out;  // W_l and b_l; no overflow: each term ≤ (p + 1)·p and we stop once past p
    if (expected > stored_params) throw mismatch();
  }
  if (stored.size() == 0 || expected != stored_params) throw mismatch();
  MlpSettings<T> settings;
  settings.base_scale = ck.matrix<T>(key + ".base_scale", 1, 1)(0, 0);
  MlpEnergy<T, Activation> mlp(std::vector<Index>(stored.data(), stored.data() + stored.size()), /*seed=*/0, settings);
  restore(ck, key, mlp);
  return mlp;
}

}  // namespace ember
