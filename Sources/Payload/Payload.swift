/// The Payload module; see the folder layout for its concepts.
public enum PayloadModule {}
