ledger_service.o: actors/ledger_service.cpp actors/ledger_service.hpp \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/atomic \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/atomic_base.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/x86_64-linux-gnu/c++/12/bits/c++config.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/x86_64-linux-gnu/c++/12/bits/os_defines.h \
  /usr/include/features.h /usr/include/features-time64.h \
  /usr/include/x86_64-linux-gnu/bits/wordsize.h \
  /usr/include/x86_64-linux-gnu/bits/timesize.h \
  /usr/include/stdc-predef.h /usr/include/x86_64-linux-gnu/sys/cdefs.h \
  /usr/include/x86_64-linux-gnu/bits/long-double.h \
  /usr/include/x86_64-linux-gnu/gnu/stubs.h \
  /usr/include/x86_64-linux-gnu/gnu/stubs-64.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/x86_64-linux-gnu/c++/12/bits/cpu_defines.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/pstl/pstl_config.h \
  /usr/lib/llvm-14/lib/clang/14.0.6/include/stdint.h \
  /usr/include/stdint.h \
  /usr/include/x86_64-linux-gnu/bits/libc-header-start.h \
  /usr/include/x86_64-linux-gnu/bits/types.h \
  /usr/include/x86_64-linux-gnu/bits/typesizes.h \
  /usr/include/x86_64-linux-gnu/bits/time64.h \
  /usr/include/x86_64-linux-gnu/bits/wchar.h \
  /usr/include/x86_64-linux-gnu/bits/stdint-intn.h \
  /usr/include/x86_64-linux-gnu/bits/stdint-uintn.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/atomic_lockfree_defines.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/move.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/type_traits \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/cstdint \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/memory \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stl_algobase.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/functexcept.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/exception_defines.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/cpp_type_traits.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/ext/type_traits.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/ext/numeric_traits.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stl_pair.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/utility.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stl_iterator_base_types.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stl_iterator_base_funcs.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/concept_check.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/debug/assertions.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stl_iterator.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/ptr_traits.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/debug/debug.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/predefined_ops.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/allocator.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/x86_64-linux-gnu/c++/12/bits/c++allocator.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/new_allocator.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/new \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/exception.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/memoryfwd.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stl_construct.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stl_uninitialized.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/ext/alloc_traits.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/alloc_traits.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stl_tempbuf.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stl_raw_storage_iter.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/align.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bit \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/uses_allocator.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/unique_ptr.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/tuple \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/invoke.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stl_function.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/backward/binders.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/functional_hash.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/hash_bytes.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/shared_ptr.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/iosfwd \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stringfwd.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/postypes.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/cwchar \
  /usr/include/wchar.h /usr/include/x86_64-linux-gnu/bits/floatn.h \
  /usr/include/x86_64-linux-gnu/bits/floatn-common.h \
  /usr/lib/llvm-14/lib/clang/14.0.6/include/stddef.h \
  /usr/lib/llvm-14/lib/clang/14.0.6/include/stdarg.h \
  /usr/include/x86_64-linux-gnu/bits/types/wint_t.h \
  /usr/include/x86_64-linux-gnu/bits/types/mbstate_t.h \
  /usr/include/x86_64-linux-gnu/bits/types/__mbstate_t.h \
  /usr/include/x86_64-linux-gnu/bits/types/__FILE.h \
  /usr/include/x86_64-linux-gnu/bits/types/FILE.h \
  /usr/include/x86_64-linux-gnu/bits/types/locale_t.h \
  /usr/include/x86_64-linux-gnu/bits/types/__locale_t.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/shared_ptr_base.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/typeinfo \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/allocated_ptr.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/refwrap.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/ext/aligned_buffer.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/ext/atomicity.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/x86_64-linux-gnu/c++/12/bits/gthr.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/x86_64-linux-gnu/c++/12/bits/gthr-default.h \
  /usr/include/pthread.h /usr/include/sched.h \
  /usr/include/x86_64-linux-gnu/bits/types/time_t.h \
  /usr/include/x86_64-linux-gnu/bits/types/struct_timespec.h \
  /usr/include/x86_64-linux-gnu/bits/endian.h \
  /usr/include/x86_64-linux-gnu/bits/endianness.h \
  /usr/include/x86_64-linux-gnu/bits/sched.h \
  /usr/include/x86_64-linux-gnu/bits/types/struct_sched_param.h \
  /usr/include/x86_64-linux-gnu/bits/cpu-set.h /usr/include/time.h \
  /usr/include/x86_64-linux-gnu/bits/time.h \
  /usr/include/x86_64-linux-gnu/bits/timex.h \
  /usr/include/x86_64-linux-gnu/bits/types/struct_timeval.h \
  /usr/include/x86_64-linux-gnu/bits/types/clock_t.h \
  /usr/include/x86_64-linux-gnu/bits/types/struct_tm.h \
  /usr/include/x86_64-linux-gnu/bits/types/clockid_t.h \
  /usr/include/x86_64-linux-gnu/bits/types/timer_t.h \
  /usr/include/x86_64-linux-gnu/bits/types/struct_itimerspec.h \
  /usr/include/x86_64-linux-gnu/bits/pthreadtypes.h \
  /usr/include/x86_64-linux-gnu/bits/thread-shared-types.h \
  /usr/include/x86_64-linux-gnu/bits/pthreadtypes-arch.h \
  /usr/include/x86_64-linux-gnu/bits/atomic_wide_counter.h \
  /usr/include/x86_64-linux-gnu/bits/struct_mutex.h \
  /usr/include/x86_64-linux-gnu/bits/struct_rwlock.h \
  /usr/include/x86_64-linux-gnu/bits/setjmp.h \
  /usr/include/x86_64-linux-gnu/bits/types/__sigset_t.h \
  /usr/include/x86_64-linux-gnu/bits/types/struct___jmp_buf_tag.h \
  /usr/include/x86_64-linux-gnu/bits/pthread_stack_min-dynamic.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/x86_64-linux-gnu/c++/12/bits/atomic_word.h \
  /usr/include/x86_64-linux-gnu/sys/single_threaded.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/ext/concurrence.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/exception \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/exception_ptr.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/cxxabi_init_exception.h \
  /usr/lib/llvm-14/lib/clang/14.0.6/include/__stddef_max_align_t.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/nested_exception.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/shared_ptr_atomic.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/backward/auto_ptr.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/pstl/glue_memory_defs.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/pstl/execution_defs.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/optional \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/initializer_list \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/enable_special_members.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/string \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/char_traits.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/localefwd.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/x86_64-linux-gnu/c++/12/bits/c++locale.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/clocale \
  /usr/include/locale.h /usr/include/x86_64-linux-gnu/bits/locale.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/cctype \
  /usr/include/ctype.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/ostream_insert.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/cxxabi_forced.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/range_access.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/basic_string.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/string_view \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/string_view.tcc \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/ext/string_conversions.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/cstdlib \
  /usr/include/stdlib.h /usr/include/x86_64-linux-gnu/bits/waitflags.h \
  /usr/include/x86_64-linux-gnu/bits/waitstatus.h \
  /usr/include/x86_64-linux-gnu/sys/types.h /usr/include/endian.h \
  /usr/include/x86_64-linux-gnu/bits/byteswap.h \
  /usr/include/x86_64-linux-gnu/bits/uintn-identity.h \
  /usr/include/x86_64-linux-gnu/sys/select.h \
  /usr/include/x86_64-linux-gnu/bits/select.h \
  /usr/include/x86_64-linux-gnu/bits/types/sigset_t.h \
  /usr/include/alloca.h \
  /usr/include/x86_64-linux-gnu/bits/stdlib-float.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/std_abs.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/cstdio \
  /usr/include/stdio.h \
  /usr/include/x86_64-linux-gnu/bits/types/__fpos_t.h \
  /usr/include/x86_64-linux-gnu/bits/types/__fpos64_t.h \
  /usr/include/x86_64-linux-gnu/bits/types/struct_FILE.h \
  /usr/include/x86_64-linux-gnu/bits/types/cookie_io_functions_t.h \
  /usr/include/x86_64-linux-gnu/bits/stdio_lim.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/cerrno \
  /usr/include/errno.h /usr/include/x86_64-linux-gnu/bits/errno.h \
  /usr/include/linux/errno.h /usr/include/x86_64-linux-gnu/asm/errno.h \
  /usr/include/asm-generic/errno.h /usr/include/asm-generic/errno-base.h \
  /usr/include/x86_64-linux-gnu/bits/types/error_t.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/charconv.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/basic_string.tcc \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/vector \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stl_vector.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stl_bvector.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/vector.tcc \
  /usr/include/caf/actor_system.hpp \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/array \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/compare \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/condition_variable \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/chrono.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/ratio \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/limits \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/ctime \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/parse_numbers.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/std_mutex.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/system_error \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/x86_64-linux-gnu/c++/12/bits/error_constants.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/stdexcept \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/unique_lock.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/cstddef \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/functional \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/std_function.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/unordered_map \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/hashtable.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/hashtable_policy.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/node_handle.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/unordered_map.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/erase_if.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stl_algo.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/algorithmfwd.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stl_heap.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/uniform_int_dist.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/mutex \
  /usr/include/caf/abstract_actor.hpp \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/set \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stl_tree.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stl_set.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stl_multiset.h \
  /usr/include/caf/fwd.hpp \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/map \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stl_map.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stl_multimap.h \
  /usr/include/caf/detail/is_one_of.hpp \
  /usr/include/caf/detail/is_primitive_config_value.hpp \
  /usr/include/caf/timespan.hpp \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/chrono \
  /usr/include/caf/node_id.hpp /usr/include/caf/atom.hpp \
  /usr/include/caf/detail/atom_val.hpp /usr/include/caf/type_id.hpp \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/utility \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stl_relops.h \
  /usr/include/caf/allowed_unsafe_message_type.hpp \
  /usr/include/caf/detail/is_complete.hpp /usr/include/caf/detail/pp.hpp \
  /usr/include/caf/config.hpp /usr/include/caf/detail/build_config.hpp \
  /usr/include/caf/detail/log_level.hpp /usr/include/linux/version.h \
  /usr/include/caf/detail/squashed_int.hpp \
  /usr/include/caf/detail/type_list.hpp /usr/include/caf/unit.hpp \
  /usr/include/caf/detail/comparable.hpp /usr/include/caf/none.hpp \
  /usr/include/caf/detail/tbind.hpp \
  /usr/include/caf/detail/type_pair.hpp \
  /usr/include/caf/meta/type_name.hpp \
  /usr/include/caf/meta/annotation.hpp /usr/include/caf/timestamp.hpp \
  /usr/include/caf/intrusive_ptr.hpp \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/algorithm \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/pstl/glue_algorithm_defs.h \
  /usr/include/caf/detail/append_hex.hpp \
  /usr/include/caf/detail/type_traits.hpp \
  /usr/include/caf/ref_counted.hpp /usr/include/caf/memory_managed.hpp \
  /usr/include/caf/string_view.hpp \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/cstring \
  /usr/include/string.h /usr/include/strings.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/iterator \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stream_iterator.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/streambuf_iterator.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/streambuf \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/ios_base.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/locale_classes.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/locale_classes.tcc \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/streambuf.tcc \
  /usr/include/caf/uri.hpp \
  /usr/include/caf/detail/unordered_flat_map.hpp \
  /usr/include/caf/raise_error.hpp /usr/include/caf/ip_address.hpp \
  /usr/include/caf/ipv6_address.hpp /usr/include/caf/byte_address.hpp \
  /usr/include/caf/variant.hpp \
  /usr/include/caf/default_sum_type_access.hpp \
  /usr/include/caf/sum_type_token.hpp \
  /usr/include/caf/static_visitor.hpp /usr/include/caf/sum_type.hpp \
  /usr/include/caf/sum_type_access.hpp \
  /usr/include/caf/meta/omittable.hpp \
  /usr/include/caf/detail/variant_data.hpp \
  /usr/include/caf/attachable.hpp /usr/include/caf/error.hpp \
  /usr/include/caf/meta/omittable_if_empty.hpp \
  /usr/include/caf/optional.hpp /usr/include/caf/deep_to_string.hpp \
  /usr/include/caf/detail/stringification_inspector.hpp \
  /usr/include/caf/detail/apply_args.hpp \
  /usr/include/caf/detail/int_list.hpp \
  /usr/include/caf/meta/hex_formatted.hpp \
  /usr/include/caf/meta/omittable_if_none.hpp \
  /usr/include/caf/detail/safe_equal.hpp \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/cmath \
  /usr/include/math.h /usr/include/x86_64-linux-gnu/bits/math-vector.h \
  /usr/include/x86_64-linux-gnu/bits/libm-simd-decl-stubs.h \
  /usr/include/x86_64-linux-gnu/bits/flt-eval-method.h \
  /usr/include/x86_64-linux-gnu/bits/fp-logb.h \
  /usr/include/x86_64-linux-gnu/bits/fp-fast.h \
  /usr/include/x86_64-linux-gnu/bits/mathcalls-helper-functions.h \
  /usr/include/x86_64-linux-gnu/bits/mathcalls.h \
  /usr/include/x86_64-linux-gnu/bits/mathcalls-narrow.h \
  /usr/include/x86_64-linux-gnu/bits/iscanonical.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/specfun.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/tr1/gamma.tcc \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/tr1/special_function_util.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/tr1/bessel_function.tcc \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/tr1/beta_function.tcc \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/tr1/ell_integral.tcc \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/tr1/exp_integral.tcc \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/tr1/hypergeometric.tcc \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/tr1/legendre_function.tcc \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/tr1/modified_bessel_func.tcc \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/tr1/poly_hermite.tcc \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/tr1/poly_laguerre.tcc \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/tr1/riemann_zeta.tcc \
  /usr/include/caf/detail/scope_guard.hpp \
  /usr/include/caf/exit_reason.hpp /usr/include/caf/execution_unit.hpp \
  /usr/include/caf/message_id.hpp /usr/include/caf/message_priority.hpp \
  /usr/include/caf/mailbox_element.hpp /usr/include/caf/extend.hpp \
  /usr/include/caf/message.hpp \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/sstream \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/istream \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/ios \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/basic_ios.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/locale_facets.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/cwctype \
  /usr/include/wctype.h \
  /usr/include/x86_64-linux-gnu/bits/wctype-wchar.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/x86_64-linux-gnu/c++/12/bits/ctype_base.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/x86_64-linux-gnu/c++/12/bits/ctype_inline.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/locale_facets.tcc \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/basic_ios.tcc \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/ostream \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/ostream.tcc \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/istream.tcc \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/sstream.tcc \
  /usr/include/caf/index_mapping.hpp /usr/include/caf/make_counted.hpp \
  /usr/include/caf/skip.hpp /usr/include/caf/type_nr.hpp \
  /usr/include/caf/detail/implicit_conversions.hpp \
  /usr/include/caf/actor_traits.hpp \
  /usr/include/caf/detail/message_data.hpp \
  /usr/include/caf/intrusive_cow_ptr.hpp \
  /usr/include/caf/type_erased_tuple.hpp \
  /usr/include/caf/detail/pseudo_tuple.hpp /usr/include/caf/param.hpp \
  /usr/include/caf/detail/try_match.hpp \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/numeric \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stl_numeric.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/pstl/glue_numeric_defs.h \
  /usr/include/caf/rtti_pair.hpp /usr/include/caf/type_erased_value.hpp \
  /usr/include/caf/make_message.hpp \
  /usr/include/caf/detail/tuple_vals.hpp \
  /usr/include/caf/deserializer.hpp /usr/include/caf/data_processor.hpp \
  /usr/include/caf/meta/save_callback.hpp \
  /usr/include/caf/meta/load_callback.hpp \
  /usr/include/caf/detail/delegate_serialize.hpp \
  /usr/include/caf/detail/select_integer_type.hpp \
  /usr/include/caf/make_type_erased_value.hpp \
  /usr/include/caf/detail/type_erased_value_impl.hpp \
  /usr/include/caf/detail/try_serialize.hpp \
  /usr/include/caf/serializer.hpp /usr/include/caf/message_view.hpp \
  /usr/include/caf/actor_control_block.hpp \
  /usr/include/caf/weak_intrusive_ptr.hpp \
  /usr/include/caf/intrusive/singly_linked.hpp \
  /usr/include/caf/detail/disposer.hpp \
  /usr/include/caf/detail/type_erased_tuple_view.hpp \
  /usr/include/caf/abstract_channel.hpp \
  /usr/include/caf/detail/functor_attachable.hpp \
  /usr/include/caf/actor_cast.hpp /usr/include/caf/actor_clock.hpp \
  /usr/include/caf/actor_config.hpp /usr/include/caf/behavior.hpp \
  /usr/include/caf/duration.hpp /usr/include/caf/timeout_definition.hpp \
  /usr/include/caf/detail/behavior_impl.hpp \
  /usr/include/caf/match_case.hpp \
  /usr/include/caf/detail/invoke_result_visitor.hpp \
  /usr/include/caf/expected.hpp /usr/include/caf/unifyn.hpp \
  /usr/include/caf/make_sink_result.hpp /usr/include/caf/delegated.hpp \
  /usr/include/caf/stream_sink.hpp /usr/include/caf/inbound_path.hpp \
  /usr/include/caf/downstream_msg.hpp /usr/include/caf/actor_addr.hpp \
  /usr/include/caf/stream_priority.hpp /usr/include/caf/stream_slot.hpp \
  /usr/include/caf/tag/boxing_type.hpp \
  /usr/include/caf/stream_aborter.hpp \
  /usr/include/caf/stream_manager.hpp /usr/include/caf/actor.hpp \
  /usr/include/caf/downstream_manager.hpp \
  /usr/include/caf/message_builder.hpp /usr/include/caf/stream.hpp \
  /usr/include/caf/invalid_stream.hpp /usr/include/caf/upstream_msg.hpp \
  /usr/include/caf/make_source_result.hpp \
  /usr/include/caf/stream_source.hpp /usr/include/caf/logger.hpp \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/fstream \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/codecvt.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/x86_64-linux-gnu/c++/12/bits/basic_file.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/x86_64-linux-gnu/c++/12/bits/c++io.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/fstream.tcc \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/iostream \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/thread \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/std_thread.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/this_thread_sleep.h \
  /usr/include/caf/detail/arg_wrapper.hpp \
  /usr/include/caf/detail/pretty_type_name.hpp \
  /usr/include/caf/detail/ringbuffer.hpp \
  /usr/include/caf/detail/shared_spinlock.hpp \
  /usr/include/caf/intrusive/drr_queue.hpp \
  /usr/include/caf/intrusive/new_round_result.hpp \
  /usr/include/caf/intrusive/task_queue.hpp \
  /usr/include/caf/intrusive/forward_iterator.hpp \
  /usr/include/caf/intrusive/task_result.hpp \
  /usr/include/caf/intrusive/fifo_inbox.hpp \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/list \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stl_list.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/list.tcc \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/deque \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stl_deque.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/deque.tcc \
  /usr/include/caf/intrusive/inbox_result.hpp \
  /usr/include/caf/intrusive/lifo_inbox.hpp \
  /usr/include/caf/detail/enqueue_result.hpp \
  /usr/include/caf/outbound_path.hpp \
  /usr/include/caf/system_messages.hpp /usr/include/caf/group.hpp \
  /usr/include/caf/group_module.hpp /usr/include/caf/abstract_group.hpp \
  /usr/include/caf/make_stage_result.hpp \
  /usr/include/caf/stream_stage.hpp /usr/include/caf/result.hpp \
  /usr/include/caf/response_promise.hpp \
  /usr/include/caf/check_typed_input.hpp /usr/include/caf/replies_to.hpp \
  /usr/include/caf/response_type.hpp \
  /usr/include/caf/typed_response_promise.hpp \
  /usr/include/caf/detail/tail_argument_token.hpp \
  /usr/include/caf/detail/unique_function.hpp \
  /usr/include/caf/input_range.hpp /usr/include/caf/actor_profiler.hpp \
  /usr/include/caf/actor_registry.hpp \
  /usr/include/caf/composable_behavior_based_actor.hpp \
  /usr/include/caf/stateful_actor.hpp /usr/include/caf/sec.hpp \
  /usr/include/caf/message_handler.hpp \
  /usr/include/caf/may_have_timeout.hpp \
  /usr/include/caf/detail/init_fun_factory.hpp \
  /usr/include/caf/detail/spawn_fwd.hpp \
  /usr/include/caf/detail/spawnable.hpp \
  /usr/include/caf/infer_handle.hpp /usr/include/caf/typed_behavior.hpp \
  /usr/include/caf/deduce_mpi.hpp \
  /usr/include/caf/interface_mismatch.hpp \
  /usr/include/caf/detail/typed_actor_util.hpp \
  /usr/include/caf/abstract_composable_behavior.hpp \
  /usr/include/caf/group_manager.hpp /usr/include/caf/is_typed_actor.hpp \
  /usr/include/caf/make_actor.hpp /usr/include/caf/actor_storage.hpp \
  /usr/include/caf/prohibit_top_level_spawn_marker.hpp \
  /usr/include/caf/runtime_settings_map.hpp \
  /usr/include/caf/scoped_execution_unit.hpp \
  /usr/include/caf/spawn_options.hpp \
  /usr/include/caf/string_algorithms.hpp \
  /usr/include/caf/uniform_type_info_map.hpp \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/typeindex \
  actors/claim_index.hpp actors/outcomes.hpp ledger/records.hpp \
  ledger/money.hpp ledger/utc_time.hpp actors/tx_index.hpp \
  actors/user_table.hpp ledger/balance_history.hpp ledger/limits.hpp \
  wal/wal_writer.hpp wal/file_system.hpp actors/user_actor.hpp \
  /usr/include/caf/all.hpp /usr/include/caf/actor_ostream.hpp \
  /usr/include/caf/typed_actor_pointer.hpp \
  /usr/include/caf/typed_actor_view.hpp \
  /usr/include/caf/mixin/requester.hpp \
  /usr/include/caf/detail/profiled_send.hpp \
  /usr/include/caf/no_stages.hpp /usr/include/caf/response_handle.hpp \
  /usr/include/caf/catch_all.hpp /usr/include/caf/mixin/sender.hpp \
  /usr/include/caf/scheduler/abstract_coordinator.hpp \
  /usr/include/caf/send.hpp /usr/include/caf/is_message_sink.hpp \
  /usr/include/caf/local_actor.hpp \
  /usr/include/caf/monitorable_actor.hpp /usr/include/caf/resumable.hpp \
  /usr/include/caf/typed_actor.hpp /usr/include/caf/composed_type.hpp \
  /usr/include/caf/detail/mpi_splice.hpp \
  /usr/include/caf/decorator/splitter.hpp \
  /usr/include/caf/decorator/sequencer.hpp \
  /usr/include/caf/typed_actor_view_base.hpp \
  /usr/include/caf/scheduled_actor.hpp \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/forward_list \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/forward_list.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/forward_list.tcc \
  /usr/include/caf/broadcast_downstream_manager.hpp \
  /usr/include/caf/buffered_downstream_manager.hpp \
  /usr/include/caf/downstream_manager_base.hpp \
  /usr/include/caf/detail/algorithms.hpp \
  /usr/include/caf/detail/path_state.hpp \
  /usr/include/caf/detail/select_all.hpp \
  /usr/include/caf/default_downstream_manager.hpp \
  /usr/include/caf/stream_source_trait.hpp \
  /usr/include/caf/stream_stage_trait.hpp \
  /usr/include/caf/invoke_message_result.hpp \
  /usr/include/caf/is_actor_handle.hpp \
  /usr/include/caf/stream_sink_trait.hpp /usr/include/caf/to_string.hpp \
  /usr/include/caf/policy/arg.hpp \
  /usr/include/caf/policy/categorized.hpp \
  /usr/include/caf/policy/downstream_messages.hpp \
  /usr/include/caf/policy/normal_messages.hpp \
  /usr/include/caf/policy/upstream_messages.hpp \
  /usr/include/caf/policy/urgent_messages.hpp \
  /usr/include/caf/detail/behavior_stack.hpp \
  /usr/include/caf/detail/stream_sink_driver_impl.hpp \
  /usr/include/caf/stream_finalize_trait.hpp \
  /usr/include/caf/stream_sink_driver.hpp \
  /usr/include/caf/detail/stream_sink_impl.hpp \
  /usr/include/caf/detail/stream_source_driver_impl.hpp \
  /usr/include/caf/stream_source_driver.hpp \
  /usr/include/caf/detail/stream_source_impl.hpp \
  /usr/include/caf/downstream.hpp \
  /usr/include/caf/detail/stream_stage_driver_impl.hpp \
  /usr/include/caf/stream_stage_driver.hpp \
  /usr/include/caf/detail/stream_stage_impl.hpp \
  /usr/include/caf/detail/tick_emitter.hpp \
  /usr/include/caf/intrusive/drr_cached_queue.hpp \
  /usr/include/caf/intrusive/wdrr_dynamic_multiplexed_queue.hpp \
  /usr/include/caf/intrusive/wdrr_fixed_multiplexed_queue.hpp \
  /usr/include/caf/mixin/behavior_changer.hpp \
  /usr/include/caf/behavior_policy.hpp /usr/include/caf/actor_pool.hpp \
  /usr/include/caf/locks.hpp /usr/include/caf/detail/split_join.hpp \
  /usr/include/caf/event_based_actor.hpp \
  /usr/include/caf/mixin/subscriber.hpp \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/unordered_set \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/unordered_set.h \
  /usr/include/caf/actor_proxy.hpp \
  /usr/include/caf/actor_system_config.hpp \
  /usr/include/caf/actor_factory.hpp /usr/include/caf/config_option.hpp \
  /usr/include/caf/config_option_adder.hpp \
  /usr/include/caf/config_option_set.hpp \
  /usr/include/caf/make_config_option.hpp \
  /usr/include/caf/config_value.hpp \
  /usr/include/caf/detail/bounds_checker.hpp \
  /usr/include/caf/detail/move_if_not_ptr.hpp \
  /usr/include/caf/detail/parse.hpp /usr/include/caf/parser_state.hpp \
  /usr/include/caf/pec.hpp /usr/include/caf/dictionary.hpp \
  /usr/include/caf/named_actor_config.hpp /usr/include/caf/settings.hpp \
  /usr/include/caf/thread_hook.hpp /usr/include/caf/after.hpp \
  /usr/include/caf/attach_continuous_stream_source.hpp \
  /usr/include/caf/attach_continuous_stream_stage.hpp \
  /usr/include/caf/attach_stream_sink.hpp \
  /usr/include/caf/attach_stream_source.hpp \
  /usr/include/caf/attach_stream_stage.hpp \
  /usr/include/caf/binary_deserializer.hpp /usr/include/caf/byte.hpp \
  /usr/include/caf/span.hpp /usr/include/caf/binary_serializer.hpp \
  /usr/include/caf/serializer_impl.hpp \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/iomanip \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/locale \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/locale_facets_nonio.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/x86_64-linux-gnu/c++/12/bits/time_members.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/x86_64-linux-gnu/c++/12/bits/messages_members.h \
  /usr/include/libintl.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/locale_facets_nonio.tcc \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/locale_conv.h \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/quoted_string.h \
  /usr/include/caf/detail/ieee_754.hpp \
  /usr/include/caf/detail/network_order.hpp \
  /usr/include/caf/blocking_actor.hpp \
  /usr/include/caf/is_timeout_or_catch_all.hpp \
  /usr/include/caf/detail/blocking_behavior.hpp \
  /usr/include/caf/composable_behavior.hpp \
  /usr/include/caf/composed_behavior.hpp \
  /usr/include/caf/config_value_adaptor.hpp \
  /usr/include/caf/config_value_adaptor_field.hpp \
  /usr/include/caf/detail/config_value_adaptor_field_impl.hpp \
  /usr/include/caf/config_value_field.hpp \
  /usr/include/caf/detail/config_value_field_base.hpp \
  /usr/include/caf/config_value_adaptor_access.hpp \
  /usr/include/caf/config_value_object_access.hpp \
  /usr/include/caf/defaults.hpp /usr/include/caf/exec_main.hpp \
  /usr/include/caf/function_view.hpp /usr/include/caf/scoped_actor.hpp \
  /usr/include/caf/fused_downstream_manager.hpp \
  /usr/include/caf/make_config_value_field.hpp \
  /usr/include/caf/detail/config_value_field_impl.hpp \
  /usr/include/caf/others.hpp /usr/include/caf/primitive_variant.hpp \
  /usr/include/caf/proxy_registry.hpp \
  /usr/include/caf/stream_deserializer.hpp \
  /usr/include/caf/stream_serializer.hpp /usr/include/caf/streambuf.hpp \
  /usr/include/caf/term.hpp /usr/include/caf/typed_event_based_actor.hpp \
  /usr/include/caf/scheduler/test_coordinator.hpp \
  /usr/include/caf/detail/test_actor_clock.hpp \
  /usr/include/caf/detail/simple_actor_clock.hpp \
  /usr/include/caf/detail/make_unique.hpp wal/record_codec.hpp \
  /usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/variant
