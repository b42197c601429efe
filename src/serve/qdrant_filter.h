// Qdrant payload filters for the stand-in: the common subset, evaluated per point.
//
// Supported: must / should / must_not (nested), has_id, key + match {value|any|except|
// text}, key + range {gt|gte|lt|lte}, is_empty, is_null. Keys may be dotted paths;
// a condition on an array value holds when it holds for any element, as in Qdrant.
// Anything else is a 400 QdrantError naming the unsupported condition.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace biodev::serve {

// The payload value at a dotted key ("a.b"), or nullptr when a part is missing.
const nlohmann::json* payload_at_key(const nlohmann::json& payload, const std::string& key);

// `id` is the point's canonical id (see normalize_point_id), `payload` its payload.
bool filter_matches(const nlohmann::json& filter, const nlohmann::json& id,
                    const nlohmann::json& payload);

}  // namespace biodev::serve
