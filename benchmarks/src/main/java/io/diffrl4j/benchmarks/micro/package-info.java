/**
 * JMH micro benchmarks of the loop's hot pieces: one SDE sampler step, one MMDiT forward and
 * forward+backward, fused against composed attention at SD3.5-M token counts, one parameter
 * update with LoRA against the frozen base and full fine-tuning, and the host-side group
 * statistics of an SD3.5-M-sized epoch; plus {@link io.diffrl4j.benchmarks.micro.AttentionMemory},
 * which measures what each attention backend holds for the backward pass.
 *
 * <p>Models are named by a spec string (JMH parameter {@code model}): {@code shapes} is the
 * shipped Shapes model at batch 16; {@code sd35m-<L>L} is {@link
 * io.diffrl4j.benchmarks.support.Sd35mShaped} with L blocks at 512 px (1024 image tokens, 333 text
 * tokens) at batch 1; a {@code -b<N>} suffix changes the batch.
 */
package io.diffrl4j.benchmarks.micro;
