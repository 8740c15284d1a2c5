/**
 * DiffusionNFT, the forward-process baseline (docs/ALGORITHMS.md 5): the positive/negative velocity
 * objective against a slowly moving "old" model and the
 * {@link io.diffrl4j.methods.nft.DiffusionNft} method factory.
 */
package io.diffrl4j.methods.nft;
