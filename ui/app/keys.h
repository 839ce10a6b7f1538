// keys.h — key codes for shortcuts. ImGui 1.86 names only a few keys (no F-keys, no letters but
// the clipboard ones); both targets use ImGui's GLFW backend, which indexes io.KeysDown by GLFW
// key code, so shortcuts use GLFW's codes.
#pragma once

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>

namespace attnscope::ui::keys {

constexpr int f1 = GLFW_KEY_F1;
constexpr int t = GLFW_KEY_T;
constexpr int a = GLFW_KEY_A;
constexpr int n1 = GLFW_KEY_1;
constexpr int n2 = GLFW_KEY_2;
constexpr int n3 = GLFW_KEY_3;
constexpr int n4 = GLFW_KEY_4;
constexpr int n5 = GLFW_KEY_5;
constexpr int n6 = GLFW_KEY_6;

}  // namespace attnscope::ui::keys
