/** Layers with reference (PyTorch) parameter names: the named-module base block, LoRA-capable linear layers, RMS norm and activations. */
package io.diffrl4j.models.nn;
