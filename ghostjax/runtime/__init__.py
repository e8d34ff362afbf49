"""Process set-up: the CPU memory allocator."""
