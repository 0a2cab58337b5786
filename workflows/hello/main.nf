#!/usr/bin/env nextflow
// Hello world for AWS HealthOmics: one task that greets a sample.
// Parameters are described in nextflow_schema.json (nf-schema), from which healthomics-run derives
// the workflow's parameter template at synth time.
nextflow.enable.dsl = 2

params.sample_name = null
params.threads = 1

process HELLO {
    // HealthOmics pulls images from private Amazon ECR repositories in the run's Region: mirror this one
    // there (or map it with the workflow's container_registry_map) before running.
    container "public.ecr.aws/docker/library/alpine:3.20"
    cpus params.threads
    memory "1 GB"
    publishDir "/mnt/workflow/pubdir"

    input:
    val sample_name

    output:
    path "hello.txt"

    script:
    """
    echo "Hello, ${sample_name}! (${task.cpus} vCPUs)" > hello.txt
    """
}

workflow {
    if (!params.sample_name) {
        error "sample_name is required"
    }
    HELLO(Channel.of(params.sample_name))
}
