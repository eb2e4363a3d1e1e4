// "Did you mean" suggestions for misspelt keys and names. A typo in a
// manifest key should cost the user one glance at the error, not a trip to the
// docs, so unknown keys are compared against the allowed ones with the
// optimal-string-alignment (Damerau-Levenshtein) distance: one transposition
// ("entyrpoint") counts as one edit, like one insertion or deletion.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slimbuild::manifest {

// Edits (insert, delete, substitute, swap two adjacent characters) between a and b.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The closest candidate: a case-insensitive match first, otherwise the unique
// nearest one within `max_distance` edits (ties go to the first candidate).
// Nothing when no candidate is close enough to be a plausible typo.
std::optional<std::string> did_you_mean(std::string_view word, const std::vector<std::string>& candidates,
                                        std::size_t max_distance = 2);

// "'a', 'b' or 'c'": for "allowed keys are ..." messages.
std::string quoted_list(const std::vector<std::string>& words);

}  // namespace slimbuild::manifest
