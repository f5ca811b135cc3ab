// InPlaceArray (actors/in_place_array.hpp), as apply_batch uses it: objects built in place, handed out as
// shared_ptrs aliasing the array's; every object lives while any handle (or a weak one locked) does, and each
// built object is destroyed exactly once, with the array, after the last handle goes.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "actors/in_place_array.hpp"

namespace {

struct Counted {
  Counted(int value, int& alive) : value(value), alive(alive) { ++alive; }
  ~Counted() { --alive; }
  Counted(const Counted&) = delete;
  Counted& operator=(const Counted&) = delete;
  int value;
  int& alive;
  std::weak_ptr<Counted> self;
};

TEST(InPlaceArray, ObjectsLiveUntilTheirLastAliasingHandleGoes) {
  int alive = 0;
  std::vector<std::shared_ptr<Counted>> handles;
  {
    auto array = std::make_shared<tally::InPlaceArray<Counted>>(3);
    for (int k = 0; k < 3; ++k) {
      handles.emplace_back(array, &array->emplace(k * 10, alive));
      handles.back()->self = handles.back();
    }
  }
  EXPECT_EQ(alive, 3);
  std::shared_ptr<Counted> locked = handles[1]->self.lock();  // what the WAL completion does
  ASSERT_NE(locked, nullptr);
  EXPECT_EQ(locked->value, 10);
  handles.clear();
  EXPECT_EQ(alive, 3) << "a locked weak handle keeps the whole array";
  const std::weak_ptr<Counted> weak = locked;
  locked.reset();
  EXPECT_EQ(alive, 0) << "the last handle destroys every built object";
  EXPECT_TRUE(weak.expired());
}

TEST(InPlaceArray, DestroysOnlyWhatWasBuilt) {
  int alive = 0;
  {
    tally::InPlaceArray<Counted> array(5);
    array.emplace(1, alive);
    array.emplace(2, alive);
    EXPECT_EQ(alive, 2);
  }
  EXPECT_EQ(alive, 0);
  tally::InPlaceArray<Counted> empty(0);  // a batch whose items were all refused at their claim
}

}  // namespace
