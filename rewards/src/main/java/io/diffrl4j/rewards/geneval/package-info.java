/**
 * GenEval as a remote reward: {@link io.diffrl4j.rewards.geneval.GenEvalClient} scores images by
 * calling a GenEval reward server over its wire protocol (pickled dicts over HTTP, docs/REWARDS.md),
 * the server Flow-GRPO and DiffusionNFT use.
 *
 * <p>The pieces of that protocol, usable on their own (a server needs them too):
 * {@link io.diffrl4j.rewards.geneval.PickleWriter} (plain Java data to a Python pickle),
 * {@link io.diffrl4j.rewards.geneval.SafePickleReader} (a pickle back to plain data, refusing
 * anything that Python would execute), {@link io.diffrl4j.rewards.image.JpegCodec} (the images),
 * and {@link io.diffrl4j.rewards.geneval.GenEvalMetadata} (GenEval's {@code evaluation_metadata.jsonl}
 * prompts to and from {@link io.diffrl4j.core.reward.Prompt}s, in the layout the Shapes world uses).
 */
package io.diffrl4j.rewards.geneval;
