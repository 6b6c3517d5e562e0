// The browser test records cameras in real time: the page and script tests must not compete with it for the CPU.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
