/** Ops DJL lacks (fused scaled-dot-product attention, RMS and group norm, tanh GELU), reached through small TorchScript modules that the library writes itself, with composed fallbacks. */
package io.diffrl4j.models.nn.kernel;
