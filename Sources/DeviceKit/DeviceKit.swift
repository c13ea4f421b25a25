/// The DeviceKit module; see the folder layout for its concepts.
public enum DeviceKitModule {}
