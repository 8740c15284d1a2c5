/**
 * Rewards by name, for command lines: {@link io.diffrl4j.rewards.registry.RewardSpec} parses
 * {@code ocr,geneval=http://host:port*0.5} and {@link io.diffrl4j.rewards.registry.RewardRegistry}
 * turns names into rewards. Applications add their own names with {@link
 * io.diffrl4j.rewards.registry.RewardRegistry#with}; nothing here is driven by configuration files.
 */
package io.diffrl4j.rewards.registry;
