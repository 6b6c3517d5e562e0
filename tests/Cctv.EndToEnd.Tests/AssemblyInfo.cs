// These tests record real cameras in real time: run one class at a time, so that a test's cameras and
// encoders do not compete for the CPU with another test's and miss their deadlines.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
